using System.Runtime.InteropServices;
using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>Writes each packed sequence's tokens in the formats trainers read, as <see cref="BuildOutput"/> asks: mds/
/// (<see cref="MdsWriter"/>) and parquet/ (<see cref="ParquetSequenceWriter"/>), with the [start, end) range of each
/// sample and, when on, the position weights. A format not asked for has its files from an earlier build in the folder
/// removed, so that they never pass for the new build's.</summary>
public sealed class TrainerFiles : IDisposable
{
    private readonly MdsWriter? _mds;
    private readonly ParquetSequenceWriter? _parquet;

    public TrainerFiles(BuildOutput output)
    {
        string mds = Path.Combine(output.Directory, BuildFolder.Mds), parquet = Path.Combine(output.Directory, BuildFolder.Parquet);
        if (output.Mds)
            _mds = new MdsWriter(mds, new MdsOptions { SizeLimit = output.MdsShardSizeLimit, PositionWeighted = output.PositionWeights, Overwrite = true });
        else MdsWriter.Remove(mds);
        if (output.Parquet)
            _parquet = new ParquetSequenceWriter(parquet, new ParquetSequenceOptions { SizeLimit = output.MdsShardSizeLimit, PositionWeighted = output.PositionWeights });
        else ParquetSequenceWriter.Remove(parquet);
    }

    /// <summary>One sequence: its tokens, each sample's [start, end) range, and one weight per token when the build writes
    /// position weights (else empty).</summary>
    public void Write(ReadOnlySpan<int> tokens, ReadOnlySpan<(int Start, int End)> indices, ReadOnlySpan<byte> positionWeighted)
    {
        _mds?.Write(MemoryMarshal.Cast<int, uint>(tokens), indices, positionWeighted: positionWeighted);
        _parquet?.Write(tokens, indices, positionWeighted);
    }

    public void Complete()
    {
        _parquet?.Complete();
        _mds?.Complete(); // index.json last: the MDS dataset looks complete only once everything is
    }

    public void Dispose()
    {
        _mds?.Dispose();
        _parquet?.Dispose();
    }
}
