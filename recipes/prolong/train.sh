#!/usr/bin/env bash
# Continued pre-training at 128K on an EntropyLong build with the authors' fork of ProLong, using the paper's
# settings (arXiv 2510.02330; the fork's EntropyLong/train_128k.sh). See recipes/prolong/README.md.
#
# Usage:  FORK_DIR=... MODEL=... BUILD_DIR=out/build recipes/prolong/train.sh [--dry-run] [-- extra trainer args]
#         recipes/prolong/train.sh --help
#
# Nothing in this project runs this script on a GPU; --dry-run checks the inputs and prints the exact command.
set -euo pipefail

usage() {
  cat <<'EOF'
recipes/prolong/train.sh [--dry-run] [-- EXTRA TRAINER ARGS]

Launches `torchrun -m training.train_language_model` from a checkout of the authors' ProLong fork
(github.com/caskcsg/longcontext, folder EntropyLong/prolong) on the MDS shards of an EntropyLong build.

Required:
  FORK_DIR        checkout of caskcsg/longcontext (or its EntropyLong/prolong folder directly)
  MODEL           Hugging Face name or local path; the fork picks the model class from this string:
                  it must contain "llama" or "qwen" (any case), anything else is refused by the fork
  BUILD_DIR or DATA
                  BUILD_DIR: an `entropylong build` output folder; trains on BUILD_DIR/mds@1.0
                  DATA: space-separated MDS folders, each `path@proportion` (relative weights, see README)

Optional (default):
  GPUS_PER_NODE   GPUs per node (CUDA_VISIBLE_DEVICES count, else nvidia-smi -L count)
  NNODES          nodes (1); NODE_RANK (0); MASTER_ADDR (required when NNODES > 1); MASTER_PORT (29500)
  OUT_DIR         output folder (checkpoints/entropylong_128k_<model basename>); the trainer resumes
                  from its latest checkpoint-* if there is one
  STEPS           optimizer steps (1000)
  BSZ             micro-batches per step over all GPUs, as in the fork's script (64); with
                  SEQ_PARALLEL=2 that is 32 distinct 128K sequences per step
  SEQ_PARALLEL    sequence-parallel group size (2)
  MAX_TOKENS      --per_device_max_tokens, the packed length (131072)
  LR (4e-5)  WARMUP (0.2)  ROPE_THETA (200000000)  SAVE_STEPS (200)  SEED (42)
  FSDP            FSDP_SHARDING_STRATEGY for the trainer, 0 disables FSDP (1 = FULL_SHARD)
  GC              gradient checkpointing, 1 or 0 (1)
  LOGIT_BLOCK_SIZE  logits computed in blocks of this many tokens (2048, as the fork's script)
  REPORT_TO       --report_to (none); with wandb, WANDB_MODE defaults to offline
  RUN_NAME        (basename of OUT_DIR)
  PYTHON          interpreter used for the checks (python3)
  WEIGHT, WEIGHT_METHOD  passed through to the fork (position_weighted loss, see README); unset by default
EOF
}

dry_run=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "train.sh: unknown argument '$1' (trainer arguments go after --; see --help)" >&2; exit 2 ;;
  esac
done

errors=0
err()  { echo "error: $*" >&2; errors=$((errors + 1)); }
warn() { echo "warning: $*" >&2; }
note() { echo "  $*"; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_number() { [[ "$1" =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]; }

PYTHON="${PYTHON:-python3}"
STEPS="${STEPS:-1000}"
BSZ="${BSZ:-64}"
SEQ_PARALLEL="${SEQ_PARALLEL:-2}"
MAX_TOKENS="${MAX_TOKENS:-131072}"
LR="${LR:-4e-5}"
WARMUP="${WARMUP:-0.2}"
ROPE_THETA="${ROPE_THETA:-200000000}"
SAVE_STEPS="${SAVE_STEPS:-200}"
SEED="${SEED:-42}"
FSDP="${FSDP:-1}"
GC="${GC:-1}"
LOGIT_BLOCK_SIZE="${LOGIT_BLOCK_SIZE:-2048}"
REPORT_TO="${REPORT_TO:-none}"
NNODES="${NNODES:-1}"
NODE_RANK="${NODE_RANK:-0}"
MASTER_PORT="${MASTER_PORT:-29500}"

for v in STEPS BSZ SEQ_PARALLEL MAX_TOKENS SAVE_STEPS SEED FSDP GC LOGIT_BLOCK_SIZE NNODES NODE_RANK MASTER_PORT; do
  is_uint "${!v}" || err "$v must be a non-negative integer, got '${!v}'"
done
for v in LR WARMUP ROPE_THETA; do
  is_number "${!v}" || err "$v must be a number, got '${!v}'"
done

# --- the fork ---------------------------------------------------------------------------------------------------
prolong_dir=""
if [[ -z "${FORK_DIR:-}" ]]; then
  err "FORK_DIR is not set: clone https://github.com/caskcsg/longcontext and set FORK_DIR to the clone"
elif [[ -f "$FORK_DIR/EntropyLong/prolong/training/train_language_model.py" ]]; then
  prolong_dir="$(cd "$FORK_DIR/EntropyLong/prolong" && pwd)"
elif [[ -f "$FORK_DIR/training/train_language_model.py" ]]; then
  prolong_dir="$(cd "$FORK_DIR" && pwd)"
else
  err "FORK_DIR=$FORK_DIR holds neither EntropyLong/prolong/training/train_language_model.py nor training/train_language_model.py"
fi
epoch_fixed=0
if [[ -n "$prolong_dir" ]]; then
  # Upstream ProLong commit 907dcf4 divides the epoch size by the sequence-parallel size; the fork does not.
  if grep -q 'world_size // training_args.seq_parallel_size' "$prolong_dir/training/dataset.py"; then
    epoch_fixed=1
  fi
fi

# --- the model ----------------------------------------------------------------------------------------------------
family=""
if [[ -z "${MODEL:-}" ]]; then
  err "MODEL is not set (a Hugging Face name or a local path, e.g. meta-llama/Meta-Llama-3-8B)"
else
  model_lc="$(printf '%s' "$MODEL" | tr '[:upper:]' '[:lower:]')"
  if [[ "$model_lc" == *llama* ]]; then
    family=llama
  elif [[ "$model_lc" == *qwen* ]]; then
    family=qwen2
  else
    err "MODEL='$MODEL' contains neither 'llama' nor 'qwen': the fork chooses the model class from the path and raises ValueError otherwise (rename or symlink the folder)"
  fi
fi

# --- data: path@proportion ----------------------------------------------------------------------------------------
data_specs=()
if [[ -n "${DATA:-}" ]]; then
  read -r -a data_specs <<<"$DATA"
elif [[ -n "${BUILD_DIR:-}" ]]; then
  data_specs=("$BUILD_DIR/mds@1.0")
else
  err "set BUILD_DIR (an entropylong build folder) or DATA ('path@proportion ...')"
fi
data_args=()
stream_paths=()
stream_props=()
for spec in "${data_specs[@]}"; do
  if [[ "$spec" == *#* ]]; then
    err "'$spec': the fork turns 'path#repeat' into an absolute weight, which streaming refuses together with the epoch size the fork always sets; use path@proportion"
    continue
  fi
  if [[ "$spec" != *@* ]]; then
    if [[ ${#data_specs[@]} -eq 1 ]]; then
      spec="$spec@1.0"
    else
      err "'$spec' has no @proportion: when several folders are mixed every one needs one (streaming refuses relative and absolute weights together)"
      continue
    fi
  fi
  path="${spec%@*}"
  prop="${spec##*@}"
  is_number "$prop" || { err "'$spec': proportion '$prop' is not a number"; continue; }
  if [[ ! -f "$path/index.json" ]]; then
    err "'$path' has no index.json (not an MDS folder, or an interrupted build)"
    continue
  fi
  path="$(cd "$path" && pwd)"
  stream_paths+=("$path")
  stream_props+=("$prop")
  data_args+=("$path@$prop")
done

# --- parallel layout ----------------------------------------------------------------------------------------------
if [[ -z "${GPUS_PER_NODE:-}" ]]; then
  if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
    IFS=, read -r -a _devs <<<"$CUDA_VISIBLE_DEVICES"
    GPUS_PER_NODE="${#_devs[@]}"
  elif command -v nvidia-smi >/dev/null 2>&1; then
    GPUS_PER_NODE="$(nvidia-smi -L | grep -c '^GPU' || true)"
  elif [[ $dry_run -eq 1 ]]; then
    GPUS_PER_NODE=8
    warn "no GPU visible and GPUS_PER_NODE unset: the dry run assumes 8"
  else
    GPUS_PER_NODE=0
  fi
fi
if ! is_uint "$GPUS_PER_NODE" || [[ "$GPUS_PER_NODE" -eq 0 ]]; then
  err "GPUS_PER_NODE must be a positive integer, got '$GPUS_PER_NODE'"
fi
[[ "$NNODES" -gt 0 ]] || err "NNODES must be at least 1"
[[ "$SEQ_PARALLEL" -gt 0 ]] || err "SEQ_PARALLEL must be at least 1"
[[ "$STEPS" -gt 0 ]] || err "STEPS must be at least 1"
accu=0
world=0
if is_uint "$GPUS_PER_NODE" && is_uint "$NNODES" && is_uint "$BSZ" && is_uint "$SEQ_PARALLEL" \
  && (( GPUS_PER_NODE > 0 && NNODES > 0 && SEQ_PARALLEL > 0 )); then
  world=$((GPUS_PER_NODE * NNODES))
  (( world % SEQ_PARALLEL == 0 )) || err "world size $world (GPUS_PER_NODE x NNODES) is not a multiple of SEQ_PARALLEL=$SEQ_PARALLEL"
  (( BSZ % world == 0 && BSZ >= world )) || err "BSZ=$BSZ is not a positive multiple of the world size $world (the fork sets gradient accumulation = BSZ / world)"
  (( BSZ % SEQ_PARALLEL == 0 )) || err "BSZ=$BSZ is not a multiple of SEQ_PARALLEL=$SEQ_PARALLEL"
  (( GPUS_PER_NODE % SEQ_PARALLEL == 0 )) || warn "sequence-parallel groups of $SEQ_PARALLEL consecutive ranks will span nodes (GPUS_PER_NODE=$GPUS_PER_NODE)"
  (( world > 0 && BSZ % world == 0 )) && accu=$((BSZ / world))
fi
if [[ "$NNODES" -gt 1 && -z "${MASTER_ADDR:-}" ]]; then
  err "NNODES=$NNODES needs MASTER_ADDR (the address of node 0); run this script once per node with NODE_RANK=0..$((NNODES - 1))"
fi
if [[ "$NODE_RANK" -ge "$NNODES" ]]; then
  err "NODE_RANK=$NODE_RANK is not below NNODES=$NNODES"
fi

# --- data summary from index.json (and the build's config.json next to mds/, when there is one) --------------------
# Prints one line: samples, seq_len, tokenizer ("-" when unknown), then the column names.
mds_summary() {
  if command -v "$PYTHON" >/dev/null 2>&1; then
    "$PYTHON" - "$1" <<'PY'
import json, os, sys
index = json.load(open(os.path.join(sys.argv[1], "index.json")))
shards = index.get("shards", [])
columns = sorted({c for s in shards for c in s.get("column_names", [])})
seq_len, tokenizer = "-", "-"
config = os.path.join(sys.argv[1], "..", "config.json")
if os.path.isfile(config):
    c = json.load(open(config))
    seq_len = str(c.get("options", {}).get("seq_len", "-"))
    tokenizer = str(c.get("tokenizer", "-")).replace(" ", "_") or "-"
print(sum(s.get("samples", 0) for s in shards), seq_len, tokenizer, " ".join(columns))
PY
  elif command -v jq >/dev/null 2>&1; then
    local cfg="$1/../config.json" seq_len=- tokenizer=-
    if [[ -f "$cfg" ]]; then
      seq_len="$(jq -r '.options.seq_len // "-"' "$cfg")"
      tokenizer="$(jq -r '.tokenizer // "-"' "$cfg" | tr ' ' _)"
    fi
    printf '%s %s %s %s\n' "$(jq -r '[.shards[].samples] | add // 0' "$1/index.json")" "$seq_len" "$tokenizer" \
      "$(jq -r '[.shards[].column_names[]] | unique | join(" ")' "$1/index.json")"
  else
    echo "? - -"
  fi
}

stream_samples=()
has_position_weighted=0
for i in "${!stream_paths[@]}"; do
  read -r samples seq_len tokenizer columns <<<"$(mds_summary "${stream_paths[$i]}")"
  stream_samples+=("$samples")
  cols=" $columns "
  if [[ "$samples" == "?" ]]; then
    warn "neither $PYTHON nor jq found: cannot read ${stream_paths[$i]}/index.json"
    continue
  fi
  [[ "$samples" -gt 0 ]] || err "${stream_paths[$i]} holds no samples"
  [[ "$cols" == *" input_ids "* ]] || err "${stream_paths[$i]} has no input_ids column (columns: $columns)"
  [[ "$cols" == *" indices "* ]] || warn "${stream_paths[$i]} has no indices column: each sequence is one document to the trainer (no document masking)"
  [[ "$cols" == *" position_weighted "* ]] && has_position_weighted=1
  if is_uint "$seq_len" && [[ "$seq_len" -gt "$MAX_TOKENS" ]]; then
    err "${stream_paths[$i]} was built with --seq-len $seq_len > MAX_TOKENS=$MAX_TOKENS: the trainer would cut every longer sequence"
  fi
  if [[ "$tokenizer" == scorer ]]; then
    warn "${stream_paths[$i]} was built without --tokenizer: its input_ids are the scoring model's token ids, which only fit MODEL if MODEL uses the same tokenizer"
  fi
done

# --- environment checks that need the training machine ------------------------------------------------------------
if [[ $dry_run -eq 0 ]]; then
  command -v torchrun >/dev/null 2>&1 || err "torchrun not found: activate the environment of the fork's prolong/requirements_pip_train.txt"
  if command -v "$PYTHON" >/dev/null 2>&1; then
    if ! "$PYTHON" -c 'import torch, transformers, streaming, flash_attn' 2>/dev/null; then
      err "$PYTHON cannot import torch, transformers, streaming and flash_attn (see the fork's prolong/requirements_pip_train.txt)"
    elif ! "$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
      err "torch sees no CUDA device"
    fi
  else
    err "$PYTHON not found"
  fi
  if command -v nvidia-smi >/dev/null 2>&1; then
    visible="$(nvidia-smi -L | grep -c '^GPU' || true)"
    [[ "$visible" -ge "$GPUS_PER_NODE" ]] || err "GPUS_PER_NODE=$GPUS_PER_NODE but nvidia-smi lists $visible GPUs"
  fi
fi

if [[ $errors -gt 0 ]]; then
  echo "train.sh: $errors problem(s) above; nothing launched." >&2
  exit 2
fi

# --- what the run will read -------------------------------------------------------------------------------------
seqs_per_step=$((BSZ / SEQ_PARALLEL))
consumed=$((STEPS * seqs_per_step))
epoch_fork=$((STEPS * BSZ))
epoch=$consumed
[[ $epoch_fixed -eq 1 ]] || epoch=$epoch_fork
model_base="$(basename "$MODEL")"
OUT_DIR="${OUT_DIR:-checkpoints/entropylong_128k_${model_base}}"
OUT_DIR="$(realpath -m "$OUT_DIR")"
RUN_NAME="${RUN_NAME:-$(basename "$OUT_DIR")}"

echo "EntropyLong -> ProLong fork, 128K continued pre-training"
note "fork:        $prolong_dir"
note "model:       $MODEL ($family path of the fork)"
note "output:      $OUT_DIR (run name $RUN_NAME)"
note "layout:      $NNODES node(s) x $GPUS_PER_NODE GPU(s) = $world ranks; sequence parallel $SEQ_PARALLEL; gradient accumulation $accu"
note "schedule:    $STEPS steps, lr $LR cosine to 0, warmup ratio $WARMUP, AdamW (0.9, 0.95), wd 0.1, clip 1.0, bf16, rope_theta $ROPE_THETA"
note "per step:    $BSZ micro-batches of one sequence = $seqs_per_step distinct sequences of <= $MAX_TOKENS tokens ($((seqs_per_step * MAX_TOKENS)) tokens at most)"
note "whole run:   $consumed sequences, $((consumed * MAX_TOKENS)) tokens at most"
if [[ $epoch_fixed -eq 1 ]]; then
  note "epoch:       $epoch samples (this checkout divides by the sequence-parallel size, as upstream ProLong 907dcf4)"
else
  note "epoch:       $epoch samples drawn, of which the run reads $consumed (the fork does not divide by SEQ_PARALLEL; see README)"
fi
prop_sum="$(printf '%s\n' "${stream_props[@]}" | awk '{ s += $1 } END { printf "%.10g", s }')"
for i in "${!stream_paths[@]}"; do
  samples="${stream_samples[$i]}"
  if [[ "$samples" == "?" ]]; then
    note "data:        ${stream_paths[$i]} @${stream_props[$i]} (sample count unknown)"
    continue
  fi
  # streaming draws proportion/sum * epoch samples from each folder, repeating it whole as often as needed.
  # The run reads the first r = consumed/epoch of the shuffled epoch. A sequence present k times in the epoch is read
  # at least once with probability 1 - (1 - r)^k (uniform shuffle assumed); with f = drawn/n, a fraction f - floor(f)
  # of the sequences is present floor(f) + 1 times, the rest floor(f) times.
  read -r drawn factor reads distinct <<<"$(awk -v p="${stream_props[$i]}" -v s="$prop_sum" -v e="$epoch" \
    -v n="$samples" -v c="$consumed" \
    'BEGIN { d = int(e * p / s); f = d / n; r = c / e; k = int(f); x = f - k
             printf "%d %.2f %d %d", d, f, d * r, n * (x * (1 - (1 - r) ^ (k + 1)) + (1 - x) * (1 - (1 - r) ^ k)) }')"
  note "data:        ${stream_paths[$i]} @${stream_props[$i]}: $samples sequences; the epoch draws $drawn (x$factor), the run reads about $reads, about $distinct of them distinct"
  awk -v f="$factor" 'BEGIN { exit !(f > 1) }' && \
    warn "${stream_paths[$i]} is drawn x$factor per epoch: its sequences repeat within the run"
done
if [[ "$family" == qwen2 ]]; then
  warn "Qwen2 in the fork ignores the span boundaries (seq_lengths): packed samples attend to each other; it also needs the fork's modeling_flash_attention_utils.py in place of transformers' (see README)"
fi
if [[ $has_position_weighted -eq 1 ]]; then
  if [[ "$SEQ_PARALLEL" -gt 1 ]]; then
    warn "position_weighted is present but the fork drops it when SEQ_PARALLEL > 1: the loss is unweighted"
  elif [[ "$family" == qwen2 ]]; then
    warn "position_weighted is present but the fork's Qwen2 path ignores it"
  elif [[ "$LOGIT_BLOCK_SIZE" -eq 0 ]]; then
    warn "position_weighted is present but with LOGIT_BLOCK_SIZE=0 the fork passes it to the wrong parameter and ignores it"
  else
    warn "position_weighted with SEQ_PARALLEL=1: the fork splits it against labels one shorter; expect a shape error in the last logit block (see README)"
  fi
fi

# --- the command ----------------------------------------------------------------------------------------------------
env_vars=(
  "LOGIT_BLOCK_SIZE=$LOGIT_BLOCK_SIZE"
  "OMP_NUM_THREADS=${OMP_NUM_THREADS:-$GPUS_PER_NODE}"
  "TOKENIZERS_PARALLELISM=true"
)
if [[ "$FSDP" -ne 0 ]]; then
  env_vars+=("FSDP_SHARDING_STRATEGY=$FSDP" "FSDP_STATE_DICT_TYPE=FULL_STATE_DICT")
fi
if [[ "$REPORT_TO" == *wandb* ]]; then
  env_vars+=("WANDB_MODE=${WANDB_MODE:-offline}" "WANDB_DIR=$OUT_DIR" "WANDB_PROJECT=${WANDB_PROJECT:-entropylong}")
fi
[[ -n "${WEIGHT:-}" ]] && env_vars+=("WEIGHT=$WEIGHT")
[[ -n "${WEIGHT_METHOD:-}" ]] && env_vars+=("WEIGHT_METHOD=$WEIGHT_METHOD")

launcher=(torchrun "--nproc_per_node=$GPUS_PER_NODE")
if [[ "$NNODES" -gt 1 ]]; then
  launcher+=("--nnodes=$NNODES" "--node_rank=$NODE_RANK" "--master_addr=$MASTER_ADDR" "--master_port=$MASTER_PORT")
else
  launcher+=(--standalone)
fi
launcher+=(-m training.train_language_model)

args=(
  --report_to "$REPORT_TO"
  --do_train
  --model_name_or_path "$MODEL"
  --tokenizer_name "$MODEL"
  --run_name "$RUN_NAME"
  --output_dir "$OUT_DIR"
  --seed "$SEED"
  --gradient_accumulation_steps "$accu"
  --per_device_train_batch_size 1
  --per_device_eval_batch_size 1
  --bf16
  --learning_rate "$LR"
  --min_lr_ratio 0
  --lr_scheduler_type cosine
  --max_grad_norm 1.0
  --adam_beta1 0.9
  --adam_beta2 0.95
  --weight_decay 0.1
  --warmup_ratio "$WARMUP"
  --optim adamw_torch
  --logging_steps 1
  --log_level info
  --max_steps "$STEPS"
  --save_steps "$SAVE_STEPS"
  --dataloader_num_workers 1
  --disable_tqdm true
  --use_fast_tokenizer false
  --remove_unused_columns false
  --ddp_find_unused_parameters false
  --per_device_max_tokens "$MAX_TOKENS"
  --seq_parallel_size "$SEQ_PARALLEL"
  --cuda_empty_cache
  --config_overrides "rope_theta=$ROPE_THETA"
)
[[ "$FSDP" -ne 0 ]] && args+=(--fsdp auto_wrap)
[[ "$GC" -ne 0 ]] && args+=(--gradient_checkpointing)
args+=(--tokenized_mds_train "${data_args[@]}")
args+=("${extra[@]}")

echo
echo "command (run in $prolong_dir):"
printf '  cd %q &&' "$prolong_dir"
printf ' %q' env "${env_vars[@]}" "${launcher[@]}" "${args[@]}"
echo

if [[ $dry_run -eq 1 ]]; then
  echo "(dry run: nothing launched)"
  exit 0
fi

mkdir -p "$OUT_DIR"
shopt -s nullglob
ckpts=("$OUT_DIR"/checkpoint-*)
shopt -u nullglob
[[ ${#ckpts[@]} -eq 0 ]] || echo "note: $OUT_DIR holds ${#ckpts[@]} checkpoint(s); the trainer resumes from the latest"
cd "$prolong_dir"
env "${env_vars[@]}" "${launcher[@]}" "${args[@]}" 2>&1 | tee -a "$OUT_DIR/log.out"
