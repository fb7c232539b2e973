using Serverless.Platform.Events;

namespace Serverless.Platform.Packages;

/// <summary>
/// Message text reaches only installs granted <c>messages:read_content</c> (<see cref="EventContent"/>); a plugin that
/// handles <c>message_create</c> or <c>message_edit</c> without requesting it is told so when it is validated and
/// published, not left to find <c>content: ''</c> at run time.
/// </summary>
public static class ContentGate
{
    /// <summary>The <c>content_without_capability</c> warning when <paramref name="handledEvents"/> carry text the manifest does not request; else null.</summary>
    public static PackageIssue? Warning(PluginManifest manifest, IEnumerable<string> handledEvents, string path)
    {
        var blind = handledEvents.Where(EventContent.WithContent.Contains).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (blind.Count == 0 || manifest.CapabilitiesRequired.Contains(EventContent.ReadContent))
        {
            return null;
        }
        var handlers = string.Join(" and ", blind);
        return new PackageIssue(IssueCodes.ContentWithoutCapability,
            $"the {handlers} handler{(blind.Count == 1 ? "" : "s")} will see content: '' (an empty string) because the plugin does not request {EventContent.ReadContent}; "
            + $"if it reads the message text, add \"{EventContent.ReadContent}\" to \"capabilities_required\" in manifest.json (the server admin grants it at install)",
            path);
    }
}
