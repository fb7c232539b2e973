namespace Serverless.Functions.Storage;

public sealed record SendReceipt(string MessageId, string PopReceipt, DateTimeOffset InsertedOn, DateTimeOffset NextVisibleOn, DateTimeOffset ExpiresOn);

/// <summary>A received message: hidden from others until <see cref="NextVisibleOn"/>; delete or update it with <see cref="PopReceipt"/>.</summary>
public sealed record QueueMessage(string MessageId, string PopReceipt, string MessageText, long DequeueCount, DateTimeOffset InsertedOn, DateTimeOffset NextVisibleOn, DateTimeOffset ExpiresOn)
{
    public BinaryData Body => BinaryData.FromString(MessageText);
}

/// <summary>A message seen without receiving it (so without a pop receipt).</summary>
public sealed record PeekedMessage(string MessageId, string MessageText, long DequeueCount, DateTimeOffset InsertedOn, DateTimeOffset ExpiresOn)
{
    public BinaryData Body => BinaryData.FromString(MessageText);
}

public sealed record UpdateReceipt(string PopReceipt, DateTimeOffset NextVisibleOn);
