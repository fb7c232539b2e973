namespace Serverless.Platform.Packages;

/// <summary>A published version of a plugin as the resolver needs it: its own requirements.</summary>
public sealed record PublishedVersion(PluginVersion Version, IReadOnlyDictionary<string, VersionRequirement> Dependencies);

public sealed record DependencyResolution(IReadOnlyDictionary<string, PluginVersion> Chosen, IReadOnlyList<PackageIssue> Errors)
{
    public bool IsSatisfied => Errors.Count == 0;
}

/// <summary>
/// Checks a manifest's dependencies against the published versions, transitively, and reports
/// every failure (docs/packages.md: missing, version mismatch, loop) rather than the first.
/// </summary>
/// <remarks>
/// Each plugin id resolves to one version: breadth-first from the manifest (so direct
/// requirements are seen first), the highest published version satisfying every requirement
/// on that id met so far. Requirements met later are checked against that choice, without
/// backtracking; a conflict is reported as a mismatch naming both requirers.
/// </remarks>
public static class DependencyResolver
{
    public static DependencyResolution Resolve(
        PluginManifest manifest,
        IReadOnlyDictionary<string, IReadOnlyList<PublishedVersion>> published,
        PluginVersion? platformVersion = null)
    {
        var errors = new List<PackageIssue>();
        var chosen = new Dictionary<string, PublishedVersion>(StringComparer.Ordinal);
        var requirements = new Dictionary<string, List<(VersionRequirement Requirement, string By)>>(StringComparer.Ordinal);
        var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal) { [manifest.Id] = [] };
        var firstHop = new Dictionary<string, string>(StringComparer.Ordinal);

        if (platformVersion is not null)
        {
            if (manifest.Dependencies.TryGetValue(PluginManifest.PlatformId, out var platform) && !platform.IsSatisfiedBy(platformVersion))
            {
                errors.Add(new PackageIssue(IssueCodes.DependencyVersionMismatch, $"the platform is version {platformVersion}, which does not satisfy '{platform}'", "$.dependencies.platform"));
            }
            if (manifest.PlatformVersion is { } minimum && platformVersion < minimum)
            {
                errors.Add(new PackageIssue(IssueCodes.DependencyVersionMismatch, $"the platform is version {platformVersion}, older than the required {minimum}", "$.platform_version"));
            }
        }

        var queue = new Queue<(string From, string Id, VersionRequirement Requirement, string Hop)>();
        foreach (var (id, requirement) in manifest.Dependencies)
        {
            if (id != PluginManifest.PlatformId)
            {
                queue.Enqueue((manifest.Id, id, requirement, id));
            }
        }

        while (queue.Count > 0)
        {
            var (from, id, requirement, hop) = queue.Dequeue();
            var path = ManifestParser.Child("$.dependencies", hop);
            var requiredBy = from == manifest.Id ? "" : $" (required by {from}, through {hop})";
            edges[from].Add(id);
            firstHop.TryAdd(id, hop);
            if (id == manifest.Id)
            {
                continue; // a loop back to the plugin being published; the loop check reports it
            }
            var known = requirements.TryGetValue(id, out var list) ? list : requirements[id] = [];
            known.Add((requirement, from));

            if (chosen.TryGetValue(id, out var existing))
            {
                if (!requirement.IsSatisfiedBy(existing.Version))
                {
                    errors.Add(new PackageIssue(IssueCodes.DependencyVersionMismatch,
                        $"{from} requires {id} '{requirement}', but {id} {existing.Version} was already chosen for {string.Join(", ", known.Where(k => k.By != from).Select(k => $"{k.By} '{k.Requirement}'"))}", path));
                }
                continue;
            }
            if (!published.TryGetValue(id, out var versions) || versions.Count == 0)
            {
                errors.Add(new PackageIssue(IssueCodes.DependencyMissing, $"dependency '{id}'{requiredBy} is not published", path));
                continue;
            }
            var best = versions.Where(v => known.All(k => k.Requirement.IsSatisfiedBy(v.Version))).MaxBy(v => v.Version);
            if (best is null)
            {
                var available = string.Join(", ", versions.Select(v => v.Version).Order().Select(v => v.Text));
                var wanted = string.Join(" and ", known.Select(k => $"'{k.Requirement}'"));
                errors.Add(new PackageIssue(IssueCodes.DependencyVersionMismatch, $"no published version of '{id}'{requiredBy} satisfies {wanted}; available: {available}", path));
                continue;
            }
            chosen[id] = best;
            edges[id] = [];
            foreach (var (next, nextRequirement) in best.Dependencies)
            {
                if (next == PluginManifest.PlatformId)
                {
                    if (platformVersion is not null && !nextRequirement.IsSatisfiedBy(platformVersion))
                    {
                        errors.Add(new PackageIssue(IssueCodes.DependencyVersionMismatch, $"{id} {best.Version} needs the platform '{nextRequirement}', but it is version {platformVersion}", path));
                    }
                    continue;
                }
                queue.Enqueue((id, next, nextRequirement, hop));
            }
        }

        foreach (var cycle in FindCycles(manifest.Id, edges))
        {
            var hop = cycle[0] == manifest.Id ? cycle[1] : firstHop.GetValueOrDefault(cycle[0], cycle[0]);
            errors.Add(new PackageIssue(IssueCodes.DependencyLoop, $"dependency loop: {string.Join(" -> ", cycle)}", ManifestParser.Child("$.dependencies", hop)));
        }
        return new DependencyResolution(chosen.ToDictionary(pair => pair.Key, pair => pair.Value.Version, StringComparer.Ordinal), errors);
    }

    /// <summary>Each distinct cycle reachable from <paramref name="root"/>, as <c>[a, b, a]</c>, rotated to start at the root when it passes through it.</summary>
    private static List<List<string>> FindCycles(string root, Dictionary<string, List<string>> edges)
    {
        var cycles = new List<List<string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var stack = new List<string>();

        void Visit(string node)
        {
            stack.Add(node);
            foreach (var next in edges.GetValueOrDefault(node) ?? [])
            {
                var at = stack.IndexOf(next);
                if (at >= 0)
                {
                    var cycle = stack.Skip(at).Append(next).ToList();
                    var key = string.Join(" ", cycle.Skip(1).Order(StringComparer.Ordinal));
                    if (seen.Add(key))
                    {
                        cycles.Add(cycle);
                    }
                }
                else if (!done.Contains(next))
                {
                    Visit(next);
                }
            }
            stack.RemoveAt(stack.Count - 1);
            done.Add(node);
        }

        Visit(root);
        return cycles;
    }
}
