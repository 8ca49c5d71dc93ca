namespace EntropyLong.Eval;

/// <summary>
/// The generators' random source: xoshiro256** seeded through SplitMix64, so a seed gives the same samples on
/// every runtime and machine. It offers the handful of Python <c>random</c> operations the RULER reference uses
/// (randint, choice, choices, sample, shuffle, getrandbits) with the same semantics, though not Python's
/// Mersenne-Twister stream: samples are equivalent in distribution, not byte-identical.
/// </summary>
public sealed class EvalRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public EvalRandom(long seed)
    {
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, n), without modulo bias.</summary>
    public int Below(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong bound = (ulong)n, threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 m = (UInt128)r * bound;
            if ((ulong)m >= threshold) return (int)(m >> 64);
        }
    }

    /// <summary>Python <c>random.randint(a, b)</c>: both ends included.</summary>
    public int RandInt(int a, int b) => a + Below(b - a + 1);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public T Choice<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    /// <summary>Python <c>random.sample</c>: k distinct positions, in selection order.</summary>
    public List<T> Sample<T>(IReadOnlyList<T> items, int k)
    {
        int n = items.Count;
        if (k < 0 || k > n) throw new ArgumentException($"sample larger than population ({k} > {n})");
        var result = new List<T>(k);
        if (k * 4 <= n)
        {
            var taken = new HashSet<int>();
            while (result.Count < k)
            {
                int j = Below(n);
                if (taken.Add(j)) result.Add(items[j]);
            }
            return result;
        }
        var pool = new int[n];
        for (int i = 0; i < n; i++) pool[i] = i;
        for (int i = 0; i < k; i++)
        {
            int j = i + Below(n - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
            result.Add(items[pool[i]]);
        }
        return result;
    }

    /// <summary>k distinct integers from [0, n), in selection order (Python <c>random.sample(range(n), k)</c>).</summary>
    public List<int> SampleRange(int n, int k)
    {
        if (k < 0 || k > n) throw new ArgumentException($"sample larger than population ({k} > {n})");
        var taken = new HashSet<int>();
        var result = new List<int>(k);
        if (k * 2 <= n)
        {
            while (result.Count < k)
            {
                int j = Below(n);
                if (taken.Add(j)) result.Add(j);
            }
            return result;
        }
        var pool = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = i + Below(n - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
            result.Add(pool[i]);
        }
        return result;
    }

    /// <summary>Fisher-Yates, in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Below(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Python <c>''.join(random.choices(alphabet, k=k))</c>.</summary>
    public string Letters(string alphabet, int k)
    {
        return string.Create(k, (this, alphabet), static (span, state) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = state.alphabet[state.Item1.Below(state.alphabet.Length)];
        });
    }

    /// <summary><c>str(uuid.UUID(int=random.getrandbits(128), version=4))</c>.</summary>
    public string Uuid4()
    {
        Span<byte> b = stackalloc byte[16];
        BitConverter.TryWriteBytes(b, NextUInt64());
        BitConverter.TryWriteBytes(b[8..], NextUInt64());
        b[6] = (byte)((b[6] & 0x0F) | 0x40);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        string h = Convert.ToHexStringLower(b);
        return $"{h[..8]}-{h[8..12]}-{h[12..16]}-{h[16..20]}-{h[20..]}";
    }
}
