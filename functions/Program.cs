using Serverless.Functions.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Configuration.AddPlatformSettings(builder.Environment.ContentRootPath);
builder.WebHost.ListenOnHandlerPort(builder.Configuration);

var app = builder.Build();

app.Run();

public partial class Program;
