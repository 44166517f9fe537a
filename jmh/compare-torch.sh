#!/usr/bin/env bash
# Times Tandem's forward CLI against an eager PyTorch version of the same DeepSeek layers (jmh/compare_torch.py),
# on a checkpoint that script writes: DeepSeek-V3-shaped, 2 MoE layers, hidden 1024, 8 heads, 32 routed experts
# top-8 (plus one shared), F32, 2048 prefill tokens in 4 requests, 1 rank. For each thread count the two sides run
# alternately (ROUNDS times each, each run = WARMUP untimed + REPEAT timed forwards, median), then the script prints
# the ratio Tandem / PyTorch of the median per-forward times and how far the outputs differ.
#
#   jmh/compare-torch.sh                 # THREADS="1 2" ROUNDS=2 WARMUP=1 REPEAT=3 GEMMS="auto" by default
#   PYTHON=/path/to/venv/bin/python GEMMS="auto java" jmh/compare-torch.sh
#
# Needs JAVA_HOME pointing at a JDK 25 and a Python with torch (the CPU wheel is enough). Without torch it says so
# and exits 0: nothing is compared. Output goes to jmh/results/torch/ (OUT=DIR to change).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${PYTHON:-python3}"
out="${OUT:-$root/jmh/results/torch}"
threads_list="${THREADS:-1 2}"
rounds="${ROUNDS:-2}"
warmup="${WARMUP:-1}"
repeat="${REPEAT:-3}"
gemms="${GEMMS:-auto}"

if ! "$py" -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "compare-torch: PyTorch (with numpy) is not installed for $py (set PYTHON to a python with torch and numpy, e.g. a venv with the CPU wheel); nothing compared"
  exit 0
fi
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  echo "compare-torch: set JAVA_HOME to a JDK 25" >&2
  exit 2
fi
export PATH="$JAVA_HOME/bin:$PATH"

mvn -B -ntp -q -f "$root/pom.xml" -pl model-deepseek -am compile
cp="$root/runtime-core/target/classes:$root/model-deepseek/target/classes"
ckpt="$out/checkpoint"
mkdir -p "$out"
if [ ! -f "$ckpt/input.safetensors" ]; then
  "$py" "$root/jmh/compare_torch.py" write --dir "$ckpt" --tokens 2048 --requests 4 --seed 1
fi

median_of() { sed -n 's/.*median \([0-9.]*\) s.*/\1/p' "$1" | head -n 1; }

report="$out/report.md"
{
  echo "# Tandem forward vs eager PyTorch"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1), torch $("$py" -c 'import torch; print(torch.__version__)')"
  echo
  echo "| threads | Tandem GEMM | Tandem median | PyTorch median | Tandem / PyTorch | max rel. difference |"
  echo "|---:|---|---:|---:|---:|---:|"
} > "$report"

for threads in $threads_list; do
  for gemm in $gemms; do
    tandem_times=()
    torch_times=()
    for round in $(seq 1 "$rounds"); do
      java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" \
        dev.tandem.deepseek.cli.ForwardCommand --model "$ckpt" --layers 0:2 --input "$ckpt/input.safetensors" \
        --output "$ckpt/tandem.safetensors" --threads "$threads" --gemm "$gemm" --warmup "$warmup" --repeat "$repeat" \
        > "$out/tandem-$threads-$gemm-$round.txt" 2>&1
      tandem_times+=("$(median_of "$out/tandem-$threads-$gemm-$round.txt")")
      "$py" "$root/jmh/compare_torch.py" run --dir "$ckpt" --threads "$threads" --warmup "$warmup" --repeat "$repeat" \
        > "$out/torch-$threads-$round.txt" 2>&1
      torch_times+=("$(median_of "$out/torch-$threads-$round.txt")")
      echo "threads $threads, gemm $gemm, round $round: Tandem ${tandem_times[-1]} s, PyTorch ${torch_times[-1]} s"
    done
    gemm_name="$(sed -n 's/^GEMM: //p' "$out/tandem-$threads-$gemm-1.txt" | cut -d'(' -f1 | xargs)"
    diff="$("$py" "$root/jmh/compare_torch.py" diff "$ckpt/tandem.safetensors" "$ckpt/torch.safetensors")"
    t="$(printf '%s\n' "${tandem_times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
    p="$(printf '%s\n' "${torch_times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
    ratio="$(awk -v a="$t" -v b="$p" 'BEGIN {printf "%.2fx", a / b}')"
    echo "| $threads | $gemm_name | $t s | $p s | $ratio | $diff |" >> "$report"
    echo "threads $threads, gemm $gemm: Tandem / PyTorch = $ratio (medians $t s vs $p s), outputs differ by $diff (max rel.)"
  done
done
echo
cat "$report"
