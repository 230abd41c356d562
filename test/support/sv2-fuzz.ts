/**
 * Seeded SV2 frame fuzzing (the sv2 room's test support): random values for every SV2 type, random frames of
 * any message we define, mutations of them, and a bare Noise client that pushes plaintext frames (well-formed
 * or not) through a real encrypted connection without reading the answers.
 */
import { connect, type Socket } from 'node:net';
import type { FieldType } from '../../src/sv2/codec/field-types.js';
import { encodeFrame } from '../../src/sv2/codec/frame.js';
import type { MessageDef } from '../../src/sv2/codec/message.js';
import { AEAD_TAG_BYTES, type CipherState } from '../../src/sv2/noise/cipher-state.js';
import { MAX_PLAINTEXT_CHUNK } from '../../src/sv2/noise/frame-cipher.js';
import { NoiseInitiator, RESPONDER_MESSAGE_BYTES } from '../../src/sv2/noise/handshake.js';
import type { Prng } from './prng.js';

const f32 = new DataView(new ArrayBuffer(4));

export class FrameFuzzer {
  constructor(readonly rng: Prng) {}

  /** True with probability p. */
  chance(p: number): boolean {
    return this.rng.u32() / 4294967296 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)];
  }

  /** An integer of `bits` bits, biased towards the edges where decoders break. */
  uint(bits: number): number {
    const max = 2 ** bits - 1;
    switch (this.rng.int(6)) {
      case 0:
        return 0;
      case 1:
        return max;
      case 2:
        return this.rng.int(4);
      default:
        return bits === 32 ? this.rng.u32() : this.rng.int(max + 1);
    }
  }

  /** A short byte string; now and then up to `max`. */
  byteString(max: number): Uint8Array {
    const n = this.chance(0.9) ? this.rng.int(Math.min(max, 40) + 1) : this.rng.int(Math.min(max, 300) + 1);
    return this.rng.bytes(n);
  }

  /** A random value of an SV2 type, read from the type's spec name (`SEQ0_255[U256]`, `OPTION[U32]`, …). */
  value(typeName: string): unknown {
    const inner = /^(SEQ0_255|SEQ0_64K|OPTION)\[(.*)\]$/.exec(typeName);
    if (inner) {
      if (inner[1] === 'OPTION') return this.chance(0.5) ? null : this.value(inner[2]);
      return Array.from({ length: this.rng.int(5) }, () => this.value(inner[2]));
    }
    const fixed = /^BYTES\[(\d+)\]$/.exec(typeName);
    if (fixed) return this.rng.bytes(Number(fixed[1]));
    switch (typeName) {
      case 'U8':
        return this.uint(8);
      case 'U16':
        return this.uint(16);
      case 'U24':
        return this.uint(24);
      case 'U32':
        return this.uint(32);
      case 'U64':
        return (BigInt(this.rng.u32()) << 32n) | BigInt(this.rng.u32());
      case 'F32':
        // Any 32-bit pattern: NaN, infinities, negatives and denormals included.
        f32.setUint32(0, this.rng.u32(), true);
        return f32.getFloat32(0, true);
      case 'BOOL':
        return this.chance(0.5);
      case 'U256':
      case 'PUBKEY':
        return this.rng.bytes(32);
      case 'SIGNATURE':
        return this.rng.bytes(64);
      case 'B0_32':
        return this.byteString(32);
      case 'B0_255':
        return this.byteString(255);
      case 'B0_64K':
      case 'B0_16M':
        return this.byteString(65535);
      case 'STR0_255': {
        const n = this.rng.int(24);
        let s = '';
        for (let i = 0; i < n; i++)
          s += String.fromCharCode(this.chance(0.9) ? 32 + this.rng.int(95) : 0xa0 + this.rng.int(0x700));
        return s;
      }
      default:
        throw new Error(`fuzzer does not know SV2 type ${typeName}`);
    }
  }

  /** A random, well-formed value of a message. */
  message<V>(def: MessageDef<V>): V {
    const rec: Record<string, unknown> = {};
    for (const f of def.fields) rec[f.key] = this.value((f.type as FieldType<unknown>).name);
    return rec as V;
  }

  /** A well-formed random frame of `def`. */
  frame<V>(def: MessageDef<V>): Uint8Array {
    return encodeFrame(def, this.message(def));
  }

  /** The payload bytes changed in place (length kept): the header still matches, the content may not. */
  mutatePayload(frame: Uint8Array): Uint8Array {
    const out = frame.slice();
    if (out.length <= 6) return out;
    const edits = 1 + this.rng.int(4);
    for (let i = 0; i < edits; i++) {
      const at = 6 + this.rng.int(out.length - 6);
      switch (this.rng.int(4)) {
        case 0:
          out[at] ^= 1 << this.rng.int(8);
          break;
        case 1:
          out[at] = 0xff;
          break;
        case 2:
          out[at] = 0;
          break;
        default:
          out[at] = this.rng.u32() & 0xff;
      }
    }
    return out;
  }

  /** Any mutation: payload edits, truncation, extension, insertion, deletion, a forged msg_length or channel bit. */
  mutate(frame: Uint8Array): Uint8Array {
    switch (this.rng.int(8)) {
      case 0:
      case 1:
        return this.mutatePayload(frame);
      case 2:
        return frame.slice(0, this.rng.int(frame.length));
      case 3:
        return Uint8Array.of(...frame, ...this.rng.bytes(1 + this.rng.int(8)));
      case 4: {
        const at = this.rng.int(frame.length + 1);
        return Uint8Array.of(...frame.subarray(0, at), ...this.rng.bytes(1 + this.rng.int(4)), ...frame.subarray(at));
      }
      case 5: {
        const at = this.rng.int(frame.length);
        return Uint8Array.of(...frame.subarray(0, at), ...frame.subarray(at + 1 + this.rng.int(4)));
      }
      case 6: {
        // A forged msg_length (up to 16 MiB) over the same bytes.
        const out = frame.slice();
        if (out.length >= 6) {
          const len = this.chance(0.5) ? 0xffffff : this.rng.int(0x1000000);
          out[3] = len;
          out[4] = len >>> 8;
          out[5] = len >>> 16;
        }
        return out;
      }
      default: {
        const out = frame.slice();
        if (out.length >= 2) out[1] ^= 0x80; // the channel bit
        return out;
      }
    }
  }
}

/** Encrypts a plaintext frame as a Noise peer would, trusting its header's length only for the header itself. */
export function encryptPlaintextFrame(cipher: CipherState, plain: Uint8Array): Uint8Array {
  const body = plain.subarray(6);
  const chunks = Math.ceil(body.length / MAX_PLAINTEXT_CHUNK);
  const out = new Uint8Array(6 + AEAD_TAG_BYTES + body.length + chunks * AEAD_TAG_BYTES);
  out.set(plain.subarray(0, 6));
  cipher.encryptInPlace(out, 0, 6);
  let dst = 6 + AEAD_TAG_BYTES;
  for (let src = 0; src < body.length; src += MAX_PLAINTEXT_CHUNK) {
    const n = Math.min(MAX_PLAINTEXT_CHUNK, body.length - src);
    out.set(body.subarray(src, src + n), dst);
    cipher.encryptInPlace(out, dst, n);
    dst += n + AEAD_TAG_BYTES;
  }
  return out;
}

/**
 * A Noise initiator on a raw socket that sends whatever plaintext frames it is given and throws the pool's
 * answers away unread (decrypting them would only slow the fuzzer down). `closed` resolves when the peer hangs up.
 */
export class BareNoiseClient {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly send: CipherState,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', () => {});
  }

  /** `localAddress`: the loopback address to connect from (127.0.0.x: each is another machine to the pool). */
  static async connect(port: number, authorityKey: Uint8Array, localAddress?: string): Promise<BareNoiseClient> {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress !== undefined ? { localAddress } : {}) });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => reject(new Error('connection refused')));
    });
    const initiator = new NoiseInitiator({ authorityKey, nowSec: () => Date.now() / 1000 });
    socket.write(initiator.start());
    const answer = await new Promise<Uint8Array>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        got = Buffer.concat([got, d]);
        if (got.length >= RESPONDER_MESSAGE_BYTES) {
          socket.off('data', onData);
          resolve(new Uint8Array(got.subarray(0, RESPONDER_MESSAGE_BYTES)));
        }
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during the handshake')));
    });
    const { send } = initiator.finish(answer);
    return new BareNoiseClient(socket, send);
  }

  /** Queues one plaintext frame (encrypted now, written on `flush` or when 64 KiB have queued up). */
  frame(plain: Uint8Array): void {
    this.raw(encryptPlaintextFrame(this.send, plain));
  }

  /** Queues bytes that bypass encryption (a corrupted stream). */
  raw(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= 64 * 1024) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.socket.write(Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Waits until the socket has handed everything to the kernel (so a slow reader cannot make us buffer it all). */
  async drain(): Promise<void> {
    this.flush();
    if (this.socket.writableLength > 0)
      await new Promise<void>((resolve) => this.socket.once('drain', () => resolve()));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
