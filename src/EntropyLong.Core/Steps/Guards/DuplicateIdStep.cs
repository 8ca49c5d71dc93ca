namespace EntropyLong.Core;

/// <summary>Rules out a document whose id an earlier document of the run already had (<see cref="Reason"/>): outputs,
/// the report and `compare` name documents by id, so a second one would pass for the first. It keeps a 128-bit hash
/// of every id seen (about 40 bytes a document); a sharded build checks each shard on its own.</summary>
public sealed class DuplicateIdStep : IBuildStep
{
    public const string Reason = "duplicate_id";

    private readonly HashSet<UInt128> _seen = [];

    public string Name => "ids";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
            if (!_seen.Add(new UInt128(StableHash.Of(d.Id, 1), StableHash.Of(d.Id, 2)))) d.Skip(Reason);
    }
}
