namespace EntropyLong.Retrieval.Tests;

/// <summary>One arctic-embed-xs session for all tests that need the real model (loading takes a second or two).</summary>
public sealed class ArcticFixture : IDisposable
{
    public OnnxEmbedder Embedder { get; } = OnnxEmbedder.Open(new EmbeddingModelOptions());
    public void Dispose() => Embedder.Dispose();
}

[CollectionDefinition("arctic")]
public sealed class ArcticCollection : ICollectionFixture<ArcticFixture>;
