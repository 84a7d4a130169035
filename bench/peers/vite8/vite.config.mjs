// Config for the benchmark runs (bench/run.py passes it with --config and sets the env vars).
// The cache lives outside the measured project so that the peers never share one.
export default {
  cacheDir: process.env.BENCH_VITE_CACHE_DIR,
  logLevel: 'info',
  clearScreen: false,
};
