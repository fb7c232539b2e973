using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Admin;
using Serverless.Platform.Publishers;

namespace Serverless.Functions.Publishers;

/// <summary>
/// Publisher keys (<see cref="PublisherEndpoints"/>): the admin mints, lists and revokes them (admin key); the
/// key holder trades one for an upload grant, anonymous at the host and authenticated by the publisher key.
/// </summary>
public sealed class PublisherFunctions(PublisherKeys keys, UploadGrants grants)
{
    private const string Keys = "admin/publishers/{publisher}/keys";

    [Function("admin-publisher-key-mint")]
    public async Task<IResult> MintAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Keys)] HttpRequest request,
        string publisher, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await PublisherEndpoints.MintAsync(publisher, request, keys, cancellationToken);

    [Function("admin-publisher-keys")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Keys)] HttpRequest request,
        string publisher, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await PublisherEndpoints.ListAsync(publisher, keys, cancellationToken);

    [Function("admin-publisher-key-revoke")]
    public async Task<IResult> RevokeAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = Keys + "/{keyId}")] HttpRequest request,
        string publisher, string keyId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await PublisherEndpoints.RevokeAsync(publisher, keyId, keys, cancellationToken);

    [Function("publishers-upload")]
    public Task<IResult> GrantUploadAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "publishers/{publisher}/uploads/{name}")] HttpRequest request,
        string publisher, string name, CancellationToken cancellationToken) =>
        PublisherEndpoints.GrantUploadAsync(publisher, name, request, keys, grants, cancellationToken);
}
