namespace EntropyLong.Core;

/// <summary>Stage 5: each verified chunk once per document (at the anchor where it lowered the entropy most), ordered,
/// joined before the whole document and fitted to the target length (<see cref="SequenceAssembly"/>). A document with no
/// verified chunk is ruled out unless options say to keep it, and so is one none of whose verified chunks fit the target
/// length beside it. With hard negatives asked for, chunks that failed
/// verification join the verified ones, marked as negatives. Packing samples into sequences is the writer's
/// (<see cref="Packer"/>), since it spans blocks.</summary>
public sealed class AssemblyStep(IEntropyModel scorer, ITrainingTokenizer tokenizer, EntropyLongOptions options) : IBuildStep
{
    /// <summary>Skip reason of a document whose verified chunks were all dropped to fit the target length.</summary>
    public const string NoVerifiedChunkFits = "no_verified_chunk_fits";

    public string Name => "assembly";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            var contexts = new DocumentContexts(d, scorer);
            var verified = contexts.Verified();
            if (verified.Count == 0 && options.DropUnverified)
            {
                d.Skip(d.Anchors.Length == 0 ? "no_anchor" : "no_verified_chunk");
                continue;
            }
            IReadOnlyList<SampleContext> placed = options.HardNegatives > 0 ? [.. verified, .. contexts.HardNegatives(options.HardNegatives)] : verified;
            d.Sample = SequenceAssembly.Build(d.Id, d.Source.Text, SequenceAssembly.Order(placed, d.Id, options), tokenizer, options);
            if (d.Sample is null) d.Skip(DocumentLengthStep.Reason);
            // Every verified chunk dropped to fit --seq-len leaves the document without the dependency it was used for.
            else if (options.DropUnverified && verified.Count > 0 && !d.Sample.Contexts.Any(c => c.Kind == ContextKind.Verified))
            {
                d.Sample = null;
                d.Skip(NoVerifiedChunkFits);
            }
        }
    }
}
