using System.Runtime.InteropServices;
using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>Writes each packed sequence's tokens in the formats trainers read, as <see cref="BuildOutput"/> asks: mds/
/// (<see cref="MdsWriter"/>) and parquet/ (<see cref="ParquetSequenceWriter"/>), with the [start, end) range of each
/// sample and, when on, the position weights. Each format is written into a hidden folder beside its final one and
/// replaces it on <see cref="Complete"/>, so an earlier build's files stay whole until the new ones are; a format not
/// asked for has its earlier files removed then, so that they never pass for the new build's.</summary>
public sealed class TrainerFiles : IDisposable
{
    private readonly string _mdsFolder, _parquetFolder;
    private readonly string? _mdsStaged, _parquetStaged;
    private readonly MdsWriter? _mds;
    private readonly ParquetSequenceWriter? _parquet;
    private bool _completed;

    public TrainerFiles(BuildOutput output)
    {
        _mdsFolder = Path.Combine(output.Directory, BuildFolder.Mds);
        _parquetFolder = Path.Combine(output.Directory, BuildFolder.Parquet);
        if (output.Mds)
            _mds = new MdsWriter(_mdsStaged = AtomicFile.TempPathFor(_mdsFolder),
                new MdsOptions { SizeLimit = output.MdsShardSizeLimit, PositionWeighted = output.PositionWeights });
        if (output.Parquet)
            _parquet = new ParquetSequenceWriter(_parquetStaged = AtomicFile.TempPathFor(_parquetFolder),
                new ParquetSequenceOptions { SizeLimit = output.MdsShardSizeLimit, PositionWeighted = output.PositionWeights });
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
        if (_mdsStaged is not null) AtomicFile.ReplaceDirectory(_mdsStaged, _mdsFolder);
        else MdsWriter.Remove(_mdsFolder);
        if (_parquetStaged is not null) AtomicFile.ReplaceDirectory(_parquetStaged, _parquetFolder);
        else ParquetSequenceWriter.Remove(_parquetFolder);
        _completed = true;
    }

    public void Dispose()
    {
        _mds?.Dispose();
        _parquet?.Dispose();
        if (_completed) return;
        foreach (var staged in new[] { _mdsStaged, _parquetStaged })
            if (staged is not null && System.IO.Directory.Exists(staged)) System.IO.Directory.Delete(staged, recursive: true);
    }
}
