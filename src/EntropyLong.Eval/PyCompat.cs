using System.Numerics;

namespace EntropyLong.Eval;

/// <summary>The few Python built-ins whose exact behaviour the reference scores depend on.</summary>
public static class PyCompat
{
    /// <summary>Python's <c>str.isspace</c> set (what <c>str.strip()</c> removes); differs from
    /// <see cref="char.IsWhiteSpace(char)"/> on U+001C..U+001F.</summary>
    public static bool IsPySpace(char c) => c switch
    {
        >= '\t' and <= '\r' => true,
        >= '\x1c' and <= ' ' => true,
        '\x85' or '\xa0' or '\u1680' or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' => true,
        >= '\u2000' and <= '\u200a' => true,
        _ => false,
    };

    public static string Strip(string s)
    {
        int a = 0, b = s.Length;
        while (a < b && IsPySpace(s[a])) a++;
        while (b > a && IsPySpace(s[b - 1])) b--;
        return a == 0 && b == s.Length ? s : s[a..b];
    }

    /// <summary>Python's <c>str.lower()</c>: the simple lowercase mapping plus Unicode's unconditional full
    /// mapping (U+0130 to "i\u0307") and the Final_Sigma rule, which Python applies and .NET's
    /// <see cref="string.ToLowerInvariant"/> does not.</summary>
    public static string Lower(string s)
    {
        string simple = s.ToLowerInvariant();
        if (s.AsSpan().IndexOfAny('\u0130', '\u03a3') < 0) return simple;
        var sb = new System.Text.StringBuilder(s.Length + 4);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\u0130') sb.Append("i\u0307");
            else if (c == '\u03a3') sb.Append(IsFinalSigma(s, i) ? '\u03c2' : '\u03c3');
            else sb.Append(simple[i]);
        }
        return sb.ToString();
    }

    // Final_Sigma: a cased letter before (case-ignorables skipped) and none after.
    private static bool IsFinalSigma(string s, int at)
    {
        int j = at - 1;
        while (j >= 0 && IsCaseIgnorable(s[j])) j--;
        if (j < 0 || !IsCased(s[j])) return false;
        j = at + 1;
        while (j < s.Length && IsCaseIgnorable(s[j])) j++;
        return j >= s.Length || !IsCased(s[j]);
    }

    private static bool IsCased(char c) => char.IsUpper(c) || char.IsLower(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(char c) => c is '\'' or '.' or ':' or '^' or '`' or '\u00b7' or '\u2019' ||
        char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.EnclosingMark
            or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.ModifierLetter or System.Globalization.UnicodeCategory.ModifierSymbol;

    /// <summary>Python's <c>round(x, digits)</c>: round half to even on the exact binary value of x
    /// (not on its shortest decimal form), so 2.675 rounds to 2.67 as it does there.</summary>
    public static double Round(double x, int digits)
    {
        if (double.IsNaN(x) || double.IsInfinity(x) || x == 0) return x;
        long bits = BitConverter.DoubleToInt64Bits(x);
        bool negative = bits < 0;
        int exp = (int)((bits >> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mantissa = exp == 0 ? frac : frac | (1L << 52);
        int e2 = (exp == 0 ? 1 : exp) - 1075; // |x| = mantissa * 2^e2
        // scaled = |x| * 10^digits = num / den exactly
        BigInteger num = mantissa * BigInteger.Pow(10, digits);
        BigInteger den = BigInteger.One;
        if (e2 >= 0) num <<= e2; else den <<= -e2;
        BigInteger q = BigInteger.DivRem(num, den, out BigInteger r);
        int cmp = (r * 2).CompareTo(den);
        if (cmp > 0 || (cmp == 0 && !q.IsEven)) q += 1;
        // q / 10^digits, correctly rounded to the nearest double (as Python does)
        double result = double.Parse(FormatScaled(q, digits), System.Globalization.CultureInfo.InvariantCulture);
        return negative ? -result : result;
    }

    private static string FormatScaled(BigInteger q, int digits)
    {
        string s = q.ToString().PadLeft(digits + 1, '0');
        return digits == 0 ? s : s[..^digits] + "." + s[^digits..];
    }

    /// <summary>Python 3.12+ <c>sum()</c> of floats: Neumaier-compensated, so totals agree to the last bit.</summary>
    public static double Sum(IEnumerable<double> values)
    {
        double sum = 0, compensation = 0;
        foreach (double v in values)
        {
            double t = sum + v;
            compensation += Math.Abs(sum) >= Math.Abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
        }
        return sum + compensation;
    }
}
