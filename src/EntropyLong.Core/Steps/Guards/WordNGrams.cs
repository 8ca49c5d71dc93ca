using System.Text;

namespace EntropyLong.Core;

/// <summary>Text as words for the overlap guards: runs of letters and digits, lowercased, so case, punctuation and
/// spacing do not hide a copy. Words and runs of n consecutive words are hashed with stable 64-bit hashes (the same on
/// every machine), which is all the guards keep of a text.</summary>
public static class WordNGrams
{
    private const ulong FnvOffset = 14695981039346656037UL, FnvPrime = 1099511628211UL;

    /// <summary>The hash of each word of <paramref name="text"/>, in order.</summary>
    public static ulong[] Words(string text)
    {
        var words = new List<ulong>();
        ulong h = FnvOffset;
        bool inWord = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                h = (h ^ (uint)Rune.ToLowerInvariant(rune).Value) * FnvPrime;
                inWord = true;
            }
            else if (inWord)
            {
                words.Add(StableHash.Mix(h));
                (h, inWord) = (FnvOffset, false);
            }
        }
        if (inWord) words.Add(StableHash.Mix(h));
        return words.ToArray();
    }

    /// <summary>The hash of every run of <paramref name="n"/> consecutive words, in order; none when there are fewer
    /// words. Runs of different lengths never share a hash by construction (n seeds it).</summary>
    public static ulong[] Of(ReadOnlySpan<ulong> words, int n)
    {
        if (n < 1 || words.Length < n) return [];
        var grams = new ulong[words.Length - n + 1];
        for (int i = 0; i < grams.Length; i++)
        {
            ulong h = (ulong)n;
            foreach (ulong w in words.Slice(i, n)) h = StableHash.Mix(h ^ w);
            grams[i] = h;
        }
        return grams;
    }
}
