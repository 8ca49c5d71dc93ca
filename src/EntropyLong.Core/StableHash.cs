using System.Text;

namespace EntropyLong.Core;

/// <summary>A 64-bit hash that is the same on every run and machine (string.GetHashCode is not): seeds and keys
/// derived from the run seed and a stable name, never from scheduling.</summary>
public static class StableHash
{
    public static ulong Of(string text, ulong seed = 0)
    {
        ulong h = 14695981039346656037UL ^ Mix(seed);
        foreach (byte b in Encoding.UTF8.GetBytes(text)) { h ^= b; h *= 1099511628211UL; }
        return Mix(h);
    }

    /// <summary>SplitMix64's finalizer: spreads every input bit over the output.</summary>
    public static ulong Mix(ulong x)
    {
        x ^= x >> 30; x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27; x *= 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }
}
