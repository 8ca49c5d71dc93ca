using System.Text;
using EntropyLong.Core;

namespace EntropyLong.Llm;

/// <summary>Reads back the GGUF files <see cref="LlamaModel.SaveGguf"/> writes (architecture "llama", a "gpt2" byte-level
/// BPE vocabulary, F32/F16 tensors), so a shipped model can be trained further (`train --init model.gguf`).</summary>
public static class GgufReader
{
    /// <exception cref="UserInputException">Not a GGUF file of that kind; the message names the file.</exception>
    public static LlamaModel ReadLlama(string path)
    {
        GgufFile.Check(path);
        using var stream = new BufferedStream(File.OpenRead(path), 1 << 20);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            r.ReadUInt32(); // magic, checked above
            uint version = r.ReadUInt32();
            if (version != 3) throw new UserInputException($"{path}: GGUF version {version}; this reader takes version 3");
            ulong tensorCount = r.ReadUInt64(), kvCount = r.ReadUInt64();
            var meta = new Dictionary<string, object>();
            for (ulong i = 0; i < kvCount; i++)
            {
                string key = ReadString(r);
                meta[key] = ReadValue(r, r.ReadUInt32());
            }
            var infos = new List<(string Name, long[] Shape, uint Type, ulong Offset)>();
            for (ulong i = 0; i < tensorCount; i++)
            {
                string name = ReadString(r);
                var shape = new long[r.ReadUInt32()];
                for (int d = 0; d < shape.Length; d++) shape[d] = (long)r.ReadUInt64();
                infos.Add((name, shape, r.ReadUInt32(), r.ReadUInt64()));
            }
            T Meta<T>(string key) => meta.TryGetValue(key, out var v) && v is T t ? t : throw new UserInputException($"{path}: no {key} of the expected type");
            if (Meta<string>("general.architecture") != "llama" || Meta<string>("tokenizer.ggml.model") != "gpt2")
                throw new UserInputException($"{path}: only llama models with a gpt2 byte-level BPE vocabulary (as `entropylong train` writes) can be read");
            var config = new LlamaConfig((int)Meta<uint>("llama.vocab_size"), (int)Meta<uint>("llama.embedding_length"), (int)Meta<uint>("llama.block_count"),
                (int)Meta<uint>("llama.attention.head_count"), (int)Meta<uint>("llama.attention.head_count_kv"), (int)Meta<uint>("llama.feed_forward_length"),
                (int)Meta<uint>("llama.context_length"), Meta<float>("llama.rope.freq_base"), Meta<float>("llama.attention.layer_norm_rms_epsilon"));
            var vocab = new BpeVocabulary(Meta<object[]>("tokenizer.ggml.tokens").Cast<string>().ToArray(),
                Meta<object[]>("tokenizer.ggml.token_type").Cast<int>().ToArray(), Meta<object[]>("tokenizer.ggml.merges").Cast<string>().ToArray(),
                (int)Meta<uint>("tokenizer.ggml.bos_token_id"), (int)Meta<uint>("tokenizer.ggml.eos_token_id"));
            var model = LlamaModel.Zeros(config, vocab);
            ulong alignment = meta.TryGetValue("general.alignment", out var a) && a is uint al ? al : 32;
            long dataStart = (long)((ulong)stream.Position + alignment - 1) / (long)alignment * (long)alignment;
            var byName = infos.ToDictionary(i => i.Name);
            foreach (var t in model.Tensors())
            {
                if (!byName.TryGetValue(t.Name, out var info)) throw new UserInputException($"{path}: no tensor {t.Name}");
                if (!info.Shape.SequenceEqual(t.Shape)) throw new UserInputException($"{path}: tensor {t.Name} has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", t.Shape)}]");
                stream.Position = dataStart + (long)info.Offset;
                switch (info.Type)
                {
                    case 0: for (int i = 0; i < t.Data.Length; i++) t.Data[i] = r.ReadSingle(); break;
                    case 1: for (int i = 0; i < t.Data.Length; i++) t.Data[i] = (float)BitConverter.UInt16BitsToHalf(r.ReadUInt16()); break;
                    default: throw new UserInputException($"{path}: tensor {t.Name} is of ggml type {info.Type}; only F32 and F16 can be read");
                }
            }
            return model;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or InvalidCastException or OverflowException)
        {
            throw new UserInputException($"{path}: not a readable GGUF model ({e.Message})", e);
        }
    }

    private static string ReadString(BinaryReader r) => Encoding.UTF8.GetString(r.ReadBytes(checked((int)r.ReadUInt64())));

    // GGUF value type codes (see GgufWriter).
    private static object ReadValue(BinaryReader r, uint type) => type switch
    {
        0 => r.ReadByte(), 1 => r.ReadSByte(), 2 => r.ReadUInt16(), 3 => r.ReadInt16(), 4 => r.ReadUInt32(), 5 => r.ReadInt32(),
        6 => r.ReadSingle(), 7 => r.ReadByte() != 0, 8 => ReadString(r), 10 => r.ReadUInt64(), 11 => r.ReadInt64(), 12 => r.ReadDouble(),
        9 => ReadArray(r),
        _ => throw new InvalidDataException($"unknown GGUF value type {type}"),
    };

    private static object[] ReadArray(BinaryReader r)
    {
        uint type = r.ReadUInt32();
        var items = new object[checked((int)r.ReadUInt64())];
        for (int i = 0; i < items.Length; i++) items[i] = ReadValue(r, type);
        return items;
    }
}
