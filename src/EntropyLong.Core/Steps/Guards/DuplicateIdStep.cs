namespace EntropyLong.Core;

/// <summary>Rules out a document whose id an earlier document of the run already had (<see cref="Reason"/>): outputs,
/// the report and `compare` name documents by id, so a second one would pass for the first. It keeps every id seen
/// (<see cref="DocumentIds"/>); a sharded build checks each shard on its own.</summary>
public sealed class DuplicateIdStep : IBuildStep
{
    public const string Reason = "duplicate_id";

    private readonly DocumentIds _seen = new();

    public string Name => "ids";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
            if (!_seen.Add(d.Id)) d.Skip(Reason);
    }
}

/// <summary>The document ids seen so far, as 128-bit hashes (about 40 bytes an id; a collision is out of reach).</summary>
public sealed class DocumentIds
{
    private readonly HashSet<UInt128> _seen = [];

    /// <summary>False when <paramref name="id"/> was seen before.</summary>
    public bool Add(string id) => _seen.Add(new UInt128(StableHash.Of(id, 1), StableHash.Of(id, 2)));
}
