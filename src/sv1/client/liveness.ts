/**
 * Stratum V1's part in the liveness rule (src/mining/pool-liveness.ts): what counts as work, and the probe.
 *
 * Work: a job, a difficulty, an extranonce or mask change, a share answer. Any line at all (a ping, a message of
 * the day, even one we cannot parse) shows the pool's process is running, which is what the frozen verdict asks.
 *
 * The probe must be a request every pool answers and whose answer changes nothing. Unknown methods do not do:
 * public-pool and ckpool answer none (shared/spec/sv1.md §10), and a second mining.authorize gets no answer from
 * ckpool ("trying to authorise twice"); public-pool answers a second mining.suggest_difficulty with silence too.
 * mining.configure does: public-pool answers every one (StratumV1Client.ts), ckpool answers it before any state
 * check (stratifier.c), and BIP310 servers answer it by design. The probe repeats the handshake's request exactly
 * (version rolling, every bit asked), so a pool that re-applies it grants what it granted; its answer is taken as
 * a sign of life only — the mask in force stays the one from the handshake and mining.set_version_mask.
 */
export const PROBE_NAME = 'mining.configure';
