using Serverless.Functions.Health;
using Serverless.Platform.Hosting;
using Serverless.LocalHost;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Configuration.AddPlatformSettings(builder.Environment.ContentRootPath, args);
builder.WebHost.ListenLikeFuncStart(builder.Configuration);

builder.Services.AddPlatform(builder.Configuration);
builder.Services.AddLocalHost(builder.Configuration);

var app = builder.Build();
app.MapHttpFunctions(typeof(HealthFunction).Assembly);
app.Run();

public partial class Program;
