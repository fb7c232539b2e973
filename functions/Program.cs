using Serverless.Functions.Admin;
using Serverless.Functions.Discord;
using Serverless.Functions.Events;
using Serverless.Functions.Health;
using Serverless.Functions.Hosting;
using Serverless.Functions.Interactions;
using Serverless.Functions.Invocations;
using Serverless.Functions.Packages;
using Serverless.Functions.Portal;
using Serverless.Functions.Publishers;
using Serverless.Functions.Sandbox;
using Serverless.Functions.Schedules;
using Serverless.Functions.WorkQueue;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Configuration.AddPlatformSettings(builder.Environment.ContentRootPath, args);
builder.WebHost.ListenOnHandlerPort(builder.Configuration);

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddStorage(builder.Configuration);
builder.Services.AddWorkQueue();
builder.Services.AddSandbox(builder.Configuration);
builder.Services.AddPackages(builder.Configuration);
builder.Services.AddInvocations();
builder.Services.AddDiscord(builder.Configuration);
builder.Services.AddAdmin();
builder.Services.AddTriggeredFunctions();
builder.Services.AddLocalTriggers(builder.Configuration);
builder.Services.AddPlatformHealth();
builder.Services.AddInteractions(builder.Configuration);
builder.Services.AddEvents(builder.Configuration);
builder.Services.AddSchedules();
builder.Services.AddPortal();
builder.Services.AddPublishers();

var app = builder.Build();

app.MapHealth();
app.MapInteractions();
app.MapEvents();
app.MapTriggeredFunctions();
app.MapDiscordRecorder();
app.MapAdmin();
app.MapPublishers();
app.MapSandboxChannel();
app.MapPortal();

app.Run();

public partial class Program;
