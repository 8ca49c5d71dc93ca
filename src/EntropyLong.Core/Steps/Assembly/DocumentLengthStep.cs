namespace EntropyLong.Core;

/// <summary>Rules out, before it is scored, a document that alone is longer than the target length in the training
/// tokenizer's tokens: assembly drops it in any case (<see cref="Reason"/>), after scoring, retrieval and verification
/// were spent on it.</summary>
public sealed class DocumentLengthStep(ITrainingTokenizer tokenizer, EntropyLongOptions options) : IBuildStep
{
    public const string Reason = "longer_than_seq_len";

    public string Name => "length";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
            if (tokenizer.Encode(d.Source.Text).Length > options.SeqLen) d.Skip(Reason);
    }
}
