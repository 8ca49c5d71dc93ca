namespace EntropyLong.Retrieval;

/// <summary>Turns texts into L2-normalized vectors; cosine similarity is then a dot product.</summary>
public interface IEmbedder : IDisposable
{
    int Dimension { get; }

    /// <summary>Names the model, its pooling and its document prefix: vectors from embedders with different ids
    /// must not share an index.</summary>
    string ModelId { get; }

    /// <summary>Writes one normalized vector per text, row after row, into <paramref name="destination"/>
    /// (length texts.Count * Dimension). <paramref name="asQuery"/> applies the model's query prefix.</summary>
    void Embed(IReadOnlyList<string> texts, bool asQuery, Span<float> destination);
}

public static class EmbedderExtensions
{
    public static float[][] Embed(this IEmbedder embedder, IReadOnlyList<string> texts, bool asQuery)
    {
        int dim = embedder.Dimension;
        var flat = new float[texts.Count * dim];
        embedder.Embed(texts, asQuery, flat);
        var rows = new float[texts.Count][];
        for (int i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * dim, dim).ToArray();
        return rows;
    }
}
