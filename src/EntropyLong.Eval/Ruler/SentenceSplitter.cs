namespace EntropyLong.Eval.Ruler;

/// <summary>
/// Splits running English text into sentences where the reference uses NLTK's Punkt (<c>sent_tokenize</c>):
/// a break after '.', '!' or '?' (and any closing quotes or brackets) followed by whitespace, unless the next
/// word starts in lower case, or the period ends a common abbreviation, an initial or a number. Punkt's
/// learned parameters are not reproduced; the split only decides where needles may be inserted.
/// </summary>
public static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co", "corp",
        "no", "vol", "pp", "cf", "fig", "gen", "col", "capt", "lt", "sgt", "rev", "hon", "gov", "sen", "rep",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "a.m", "p.m",
    };

    public static List<string> Split(string text)
    {
        var sentences = new List<string>();
        int start = 0, n = text.Length;
        for (int i = 0; i < n; i++)
        {
            char c = text[i];
            if (c is not ('.' or '!' or '?')) continue;
            int end = i + 1;
            while (end < n && text[end] is '.' or '!' or '?') end++;
            while (end < n && text[end] is '"' or '\'' or ')' or ']' or '\u201d' or '\u2019') end++;
            if (end >= n || !char.IsWhiteSpace(text[end])) { i = end - 1; continue; }
            int next = end;
            while (next < n && char.IsWhiteSpace(text[next])) next++;
            if (next >= n) break;
            if (IsBreak(text, start, i, text[next]))
            {
                sentences.Add(text[start..end]);
                start = next;
            }
            i = next - 1;
        }
        if (start < n)
        {
            string last = text[start..].TrimEnd();
            if (last.Length > 0) sentences.Add(last);
        }
        return sentences;
    }

    private static bool IsBreak(string text, int sentenceStart, int punct, char nextChar)
    {
        if (char.IsLower(nextChar)) return false;
        if (text[punct] != '.') return true;
        int w = punct;
        while (w > sentenceStart && !char.IsWhiteSpace(text[w - 1])) w--;
        var word = text.AsSpan(w, punct - w).TrimStart("\"'([\u201c\u2018");
        if (word.Length == 0) return true;
        if (word.Length == 1 && char.IsLetter(word[0])) return false; // an initial: "J. Smith"
        if (char.IsDigit(nextChar) && word.Length > 0 && char.IsDigit(word[^1])) return false; // "3. 4"
        return !Abbreviations.Contains(word.ToString());
    }
}
