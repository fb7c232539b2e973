using System.Text;

namespace Serverless.Platform.Packages;

/// <summary>Rules for paths inside a package, shared by zip entries and the paths a manifest names.</summary>
internal static class PackagePaths
{
    public const int MaxPathLength = 1024;
    public const int MaxSegmentBytes = 255;

    /// <summary>The first problem with <paramref name="path"/> as a relative path inside the package, or null when it is safe.</summary>
    /// <param name="directory">true when a trailing <c>/</c> marks a directory entry</param>
    public static (string Code, string Reason)? Problem(string path, bool directory = false)
    {
        if (path.Length == 0)
        {
            return (IssueCodes.BadName, "the name is empty");
        }
        if (path.Length > MaxPathLength)
        {
            return (IssueCodes.BadName, $"the name is longer than {MaxPathLength} characters");
        }
        foreach (var c in path)
        {
            // char.IsControl covers C0, DEL and C1; none belongs in a file name.
            if (char.IsControl(c))
            {
                return (IssueCodes.BadName, $"the name contains control character U+{(int)c:X4}");
            }
        }
        if (path.Contains('\\'))
        {
            return (IssueCodes.PathTraversal, "the name contains a backslash");
        }
        if (path[0] == '/')
        {
            return (IssueCodes.PathTraversal, "the name is an absolute path");
        }
        if (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]))
        {
            return (IssueCodes.PathTraversal, "the name starts with a drive letter");
        }
        var body = directory && path.EndsWith('/') ? path[..^1] : path;
        foreach (var segment in body.Split('/'))
        {
            if (segment == "..")
            {
                return (IssueCodes.PathTraversal, "the name has a '..' segment");
            }
            if (segment.Length == 0)
            {
                return (IssueCodes.BadName, "the name has an empty segment");
            }
            if (segment == ".")
            {
                return (IssueCodes.BadName, "the name has a '.' segment");
            }
            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                return (IssueCodes.BadName, $"a segment of the name is longer than {MaxSegmentBytes} bytes");
            }
        }
        return null;
    }
}
