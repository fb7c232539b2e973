namespace Serverless.LocalHost;

/// <summary>
/// The parts of <c>host.json</c> (the Functions host's configuration, copied next to the functions) that the
/// local host applies the way the Functions host does: the HTTP route prefix and the queue trigger's options.
/// </summary>
public sealed class HostJson
{
    private readonly IConfigurationRoot _json;

    private HostJson(IConfigurationRoot json) => _json = json;

    /// <summary>The <c>host.json</c> beside this assembly (the functions project copies it to every output that references it).</summary>
    public static HostJson Default { get; } = Load(Path.Combine(AppContext.BaseDirectory, "host.json"));

    public static HostJson Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"host.json is missing at {path}; the functions project copies it next to its build output", path);
        }
        return new HostJson(new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build());
    }

    /// <summary><c>extensions.http.routePrefix</c>: every HTTP function's route starts with it (<c>api</c>).</summary>
    public string RoutePrefix => _json["extensions:http:routePrefix"] ?? "api";

    /// <summary><c>extensions.queues</c>: tries before the poison queue, batch size, retry delay, polling interval.</summary>
    public IConfigurationSection Queues => _json.GetSection("extensions:queues");
}
