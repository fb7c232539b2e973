namespace Serverless.Platform.Packages;

/// <summary>
/// One finding about an upload. <paramref name="Path"/> is a JSON path into the manifest
/// (<c>$.slash_commands[0].options[2].name</c>) or an entry path inside the zip.
/// </summary>
public sealed record PackageIssue(string Code, string Message, string Path);

/// <summary>The codes a report may carry; tools outside the code match on them.</summary>
public static class IssueCodes
{
    // zip structure and limits
    public const string BadZip = "bad_zip";
    public const string PathTraversal = "path_traversal";
    public const string NonRegularEntry = "non_regular_entry";
    public const string DuplicateEntry = "duplicate_entry";
    public const string EncryptedEntry = "encrypted_entry";
    public const string UnsupportedCompression = "unsupported_compression";
    public const string OverlappingEntries = "overlapping_entries";
    public const string TooLarge = "too_large";
    public const string TooManyEntries = "too_many_entries";
    public const string CompressionRatio = "compression_ratio";
    public const string BadName = "bad_name";
    public const string FileTooLarge = "file_too_large";
    public const string SizeMismatch = "size_mismatch";
    public const string CrcMismatch = "crc_mismatch";
    public const string NestedArchive = "nested_archive";
    public const string ManifestMissing = "manifest_missing";
    public const string ManifestEncoding = "manifest_encoding";
    public const string ManifestJson = "manifest_json";
    public const string ManifestTooLarge = "manifest_too_large";
    public const string EntrypointMissing = "entrypoint_missing";
    public const string HookExecutableMissing = "hook_executable_missing";

    // manifest
    public const string DuplicateKey = "duplicate_key";
    public const string UnknownField = "unknown_field";
    public const string MissingField = "missing_field";
    public const string WrongType = "wrong_type";
    public const string InvalidValue = "invalid_value";
    public const string InvalidId = "invalid_id";
    public const string InvalidVersion = "invalid_version";
    public const string InvalidRequirement = "invalid_requirement";
    public const string UnknownCapability = "unknown_capability";
    public const string KvNeedsNoCapability = "kv_needs_no_capability";
    public const string UnknownEvent = "unknown_event";
    public const string DuplicateValue = "duplicate_value";
    public const string InvalidHook = "invalid_hook";
    public const string UnsupportedProtocolVersion = "unsupported_protocol_version";
    public const string InvalidEntrypoint = "invalid_entrypoint";
    public const string InvalidCommand = "invalid_command";
    public const string TooManyCommands = "too_many_commands";
    public const string DuplicateCommand = "duplicate_command";
    public const string TooManyOptions = "too_many_options";
    public const string TooManyChoices = "too_many_choices";
    public const string InvalidOptionType = "invalid_option_type";
    public const string OptionOrder = "option_order";
    public const string OptionNesting = "option_nesting";
    public const string AutocompleteWithChoices = "autocomplete_with_choices";
    public const string ChoiceTypeMismatch = "choice_type_mismatch";
    public const string InvalidResponse = "invalid_response";
    public const string InvalidCustomId = "invalid_custom_id";
    public const string InvalidCron = "invalid_cron";
    public const string FieldFallback = "field_fallback";
    public const string ContentWithoutCapability = "content_without_capability";
    public const string NothingRuns = "nothing_runs";

    // dependencies
    public const string DependencyMissing = "dependency_missing";
    public const string DependencyVersionMismatch = "dependency_version_mismatch";
    public const string DependencyLoop = "dependency_loop";

    // publishing
    public const string PluginOwnedByOther = "plugin_owned_by_other";
    public const string VersionExists = "version_exists";
    public const string AlreadyPublished = "already_published";
}
