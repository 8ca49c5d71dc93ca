using System.Text;

namespace EntropyLong.Core;

/// <summary>The text of each scored token, so entropies can be shown on the document and anchors located in it.</summary>
public static class TokenPieces
{
    /// <summary>One string per token (BOS gives ""). A token that ends inside a UTF-8 character (byte-level BPE splits
    /// some characters across tokens) carries the whole character, joined with the tokens that complete it, and
    /// those give "". For byte-level BPE the pieces concatenate to the detokenized document.</summary>
    public static string[] Of(IEntropyModel model, int[] tokens, int bodyStart)
    {
        var pieces = new string[tokens.Length];
        for (int i = 0; i < bodyStart && i < tokens.Length; i++) pieces[i] = "";
        var bytes = new List<byte>(16);
        for (int i = bodyStart; i < tokens.Length;)
        {
            bytes.Clear();
            bytes.AddRange(model.TokenBytes(tokens[i]));
            int j = i + 1;
            string s = Encoding.UTF8.GetString(bytes.ToArray());
            // A replacement character at the end means an incomplete UTF-8 sequence: take the next tokens (a character
            // is at most 4 bytes, so at most 3 more) until it decodes.
            while (s.EndsWith('\uFFFD') && j < tokens.Length && j - i < 4)
            {
                bytes.AddRange(model.TokenBytes(tokens[j++]));
                s = Encoding.UTF8.GetString(bytes.ToArray());
            }
            pieces[i] = s;
            for (int k = i + 1; k < j; k++) pieces[k] = "";
            i = j;
        }
        return pieces;
    }

    /// <summary>Character offset where each token's piece starts (length tokens + 1; the last is the total length).</summary>
    public static int[] Offsets(string[] pieces)
    {
        var offsets = new int[pieces.Length + 1];
        for (int i = 0; i < pieces.Length; i++) offsets[i + 1] = offsets[i] + pieces[i].Length;
        return offsets;
    }
}
