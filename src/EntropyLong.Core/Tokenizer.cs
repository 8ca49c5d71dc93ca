namespace EntropyLong.Core;

/// <summary>The training model's tokenizer, as stage 5 uses it to fit samples to the target length and locate
/// contexts and anchors in them.</summary>
public interface ITrainingTokenizer
{
    /// <summary>Token ids of <paramref name="text"/>, BOS first when the tokenizer adds one.</summary>
    int[] Encode(string text);

    /// <summary>How many UTF-8 bytes of the text <paramref name="token"/> stands for (0 for BOS and other special
    /// tokens). A byte-level tokenizer's counts add up to the text's length in bytes, which lets stage 5 find every
    /// token's place from one encoding.</summary>
    int ByteCount(int token);
}
