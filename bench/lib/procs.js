'use strict';
// Child processes the runner owns: spawning (optionally pinned to a CPU with taskset),
// readiness, and stopping by pid. Every process started here is tracked so an interrupted
// run still stops what it started.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { until } = require('./util');

const started = new Set();

/** CPUs this process may run on, e.g. [0, 1]; null when taskset is missing. */
function allowedCpus() {
  try {
    const out = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
    const list = out.split(':').pop().trim();
    const cpus = [];
    for (const part of list.split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a; c <= (b ?? a); c++) cpus.push(c);
    }
    return cpus;
  } catch {
    return null;
  }
}

/**
 * Decides the pinning: servers on the first allowed CPU, the load generator (this process and
 * the workers it forks, which inherit the mask) on the others. Needs taskset and ≥ 2 CPUs.
 */
function planPinning(enabled) {
  const cpus = enabled ? allowedCpus() : null;
  if (!cpus || cpus.length < 2) {
    return {
      enabled: false,
      reason: !enabled
        ? 'disabled by --no-pin'
        : cpus
          ? `only ${cpus.length} CPU available`
          : 'taskset not available',
      server: null,
      generator: null,
    };
  }
  const server = String(cpus[0]);
  const generator = cpus.slice(1).join(',');
  try {
    // -a: every thread of this process (libuv pool, V8 helpers), not only the main one.
    execFileSync('taskset', ['-a', '-cp', generator, String(process.pid)], { stdio: 'ignore' });
  } catch (err) {
    return {
      enabled: false,
      reason: `taskset failed: ${err.message}`,
      server: null,
      generator: null,
    };
  }
  return {
    enabled: true,
    reason: `servers on CPU ${server}, load generator on CPU ${generator}`,
    server,
    generator,
  };
}

/**
 * Starts a long-running server process. `cpu` pins it (taskset execs the command, so the pid is
 * the server's own). stdout goes to `logFile` (or /dev/null), stderr is kept for diagnostics.
 */
function startProcess({ name, cmd, args, env, cwd, cpu, logFile }) {
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const argv = cpu ? ['-c', cpu, cmd, ...args] : args;
  const child = spawn(cpu ? 'taskset' : cmd, argv, { cwd, env, stdio: ['ignore', out, 'pipe'] });
  if (typeof out === 'number') fs.closeSync(out);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d.toString();
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc = {
    name,
    child,
    get pid() {
      return child.pid;
    },
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    stderr: () => stderr,
    logTail(n = 30) {
      let text = stderr;
      if (logFile) {
        try {
          const all = fs.readFileSync(logFile, 'utf8');
          text = all.slice(-8000) + '\n' + stderr;
        } catch {
          /* no log yet */
        }
      }
      return text.trim().split('\n').slice(-n).join('\n');
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15000) {
      if (!proc.alive()) {
        started.delete(proc);
        return exited;
      }
      child.kill(signal);
      const t = setTimeout(() => proc.alive() && child.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(t);
      started.delete(proc);
      return r;
    },
  };
  started.add(proc);
  return proc;
}

/** Waits until `probe()` is truthy; fails early with the process output if it exits. */
async function waitReady(proc, probe, timeoutMs = 60000) {
  await until(
    async () => {
      if (!proc.alive()) throw new Error(`${proc.name} exited during start-up:\n${proc.logTail()}`);
      return probe();
    },
    { timeoutMs, intervalMs: 100, message: `${proc.name} did not become ready` },
  ).catch((err) => {
    if (proc.alive()) proc.child.kill('SIGKILL');
    throw new Error(`${err.message}\n--- ${proc.name} output (tail) ---\n${proc.logTail()}`);
  });
}

/** Stops every process this run started (used on errors and on Ctrl-C). */
async function stopAll() {
  await Promise.all([...started].map((p) => p.stop('SIGTERM', 5000).catch(() => undefined)));
}

function killAllSync() {
  for (const p of started) {
    try {
      if (p.alive()) p.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

module.exports = { planPinning, startProcess, waitReady, stopAll, killAllSync };
