/**
 * The Noise NX handshake of SV2 (`Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256`) as two pure state machines:
 * bytes in, bytes out, no I/O. The initiator (client) sends its 64-byte ephemeral key; the responder (server)
 * answers 234 bytes — not the 170 the spec prose says: its own field list (64 + 80 + 90) is what SRI sends.
 *
 *   → ES_i                                  MixHash(ES_i); MixHash(empty)
 *   ← ES_r | enc(ES_s) | enc(certificate)   MixHash(ES_r); MixKey(ee); EncryptAndHash(ES_s); MixKey(es);
 *                                           EncryptAndHash(certificate)
 * Both ECDHs are BIP324's tagged x-only ECDH with the initiator's encoding first. Then Split: the initiator
 * sends with k1 and receives with k2.
 */

import {
  CERTIFICATE_BYTES,
  type ClockSyncCheck,
  decodeCertificate,
  encodeCertificate,
  type SignatureNoiseMessage,
  verifyCertificate,
} from './certificate.js';
import { CipherState } from './cipher-state.js';
import { ellswiftDecodeX } from './ellswift.js';
import { NoiseError } from './errors.js';
import { createNoiseKeypair, type NoiseKeypair } from './keys.js';
import { SymmetricState } from './symmetric-state.js';
import { bip324EcdhSecret } from './xonly-ecdh.js';

export const INITIATOR_MESSAGE_BYTES = 64;
export const ENCRYPTED_KEY_BYTES = 80;
export const ENCRYPTED_CERTIFICATE_BYTES = 90;
export const RESPONDER_MESSAGE_BYTES = 64 + ENCRYPTED_KEY_BYTES + ENCRYPTED_CERTIFICATE_BYTES;

const EMPTY = new Uint8Array(0);

/** The two transport ciphers a finished handshake yields, from this side's point of view. */
export interface TransportCiphers {
  send: CipherState;
  receive: CipherState;
}

export interface InitiatorOptions {
  /** Authority x-only key the certificate must be signed by; null accepts any server (trust on first use). */
  authorityKey: Uint8Array | null;
  /** Unix seconds, for the certificate's validity window (inject for tests). */
  nowSec: () => number;
  /** Clock leeway on both ends of the validity window (SRI: 10 s). */
  certificateLeewaySec?: number;
  /** Whether the local clock is synchronised, to tell a wrong clock from a wrong certificate (certificate.ts). */
  clockSynchronised?: ClockSyncCheck;
  /** Ephemeral key pair (tests inject the vector's; normally fresh per handshake). */
  ephemeral?: NoiseKeypair;
}

export interface InitiatorResult extends TransportCiphers {
  /** The server's static key (x-only), authenticated by the certificate when an authority key was given. */
  serverStaticKey: Uint8Array;
  certificate: SignatureNoiseMessage;
  /** Final handshake hash (identifies the session; unused by SV2 after the handshake). */
  handshakeHash: Uint8Array;
}

export class NoiseInitiator {
  private readonly state = new SymmetricState();
  private readonly ephemeral: NoiseKeypair;
  private step: 'new' | 'sent' | 'done' = 'new';

  constructor(private readonly options: InitiatorOptions) {
    this.ephemeral = options.ephemeral ?? createNoiseKeypair();
  }

  /** For tests: the symmetric state after the last step. */
  get symmetricState(): SymmetricState {
    return this.state;
  }

  /** Act 1: the 64 bytes to send. */
  start(): Uint8Array {
    if (this.step !== 'new') throw new Error('NoiseInitiator.start called twice');
    this.step = 'sent';
    this.state.mixHash(this.ephemeral.ellswift);
    // EncryptAndHash of an empty payload with no key yet: one more hash update, easy to miss.
    this.state.encryptAndHash(EMPTY);
    return this.ephemeral.ellswift;
  }

  /** Act 2 received: authenticates the server and returns the transport ciphers. Throws NoiseError. */
  finish(message: Uint8Array): InitiatorResult {
    if (this.step !== 'sent') throw new Error('NoiseInitiator.finish called out of order');
    this.step = 'done';
    if (message.length !== RESPONDER_MESSAGE_BYTES) {
      throw new NoiseError(
        'handshake-length',
        `server handshake message is ${message.length} bytes; SV2 Noise_NX sends ${RESPONDER_MESSAGE_BYTES}`,
      );
    }
    const s = this.state;
    const eph = this.ephemeral;
    const responderEphemeral = message.subarray(0, 64);
    s.mixHash(responderEphemeral);
    s.mixKey(bip324EcdhSecret(eph.secret, responderEphemeral, eph.ellswift, true));
    const serverStatic = s.decryptAndHash(message.subarray(64, 64 + ENCRYPTED_KEY_BYTES));
    s.mixKey(bip324EcdhSecret(eph.secret, serverStatic, eph.ellswift, true));
    const certBytes = s.decryptAndHash(message.subarray(64 + ENCRYPTED_KEY_BYTES));
    const certificate = decodeCertificate(certBytes);
    const serverStaticKey = ellswiftDecodeX(serverStatic);
    if (this.options.authorityKey !== null) {
      verifyCertificate(
        certificate,
        serverStaticKey,
        this.options.authorityKey,
        this.options.nowSec(),
        this.options.certificateLeewaySec,
        this.options.clockSynchronised,
      );
    }
    const [k1, k2] = s.split();
    return {
      send: new CipherState(k1),
      receive: new CipherState(k2),
      serverStaticKey,
      certificate,
      handshakeHash: s.h,
    };
  }
}

export interface ResponderOptions {
  /** The server's long-lived static key. */
  staticKey: NoiseKeypair;
  /** Produces the certificate for this handshake (SRI signs a fresh one, valid from now, per connection). */
  certificate: () => SignatureNoiseMessage;
  ephemeral?: NoiseKeypair;
}

export interface ResponderResult extends TransportCiphers {
  /** Act 2: the 234 bytes to send back. */
  message: Uint8Array;
  handshakeHash: Uint8Array;
}

export class NoiseResponder {
  private readonly state = new SymmetricState();
  private done = false;

  constructor(private readonly options: ResponderOptions) {}

  get symmetricState(): SymmetricState {
    return this.state;
  }

  /** Act 1 received (64 bytes): returns act 2 and the transport ciphers. Every 64-byte string is a key. */
  respond(initiatorMessage: Uint8Array): ResponderResult {
    if (this.done) throw new Error('NoiseResponder.respond called twice');
    this.done = true;
    if (initiatorMessage.length !== INITIATOR_MESSAGE_BYTES) {
      throw new NoiseError(
        'handshake-length',
        `client handshake message is ${initiatorMessage.length} bytes; SV2 Noise_NX sends ${INITIATOR_MESSAGE_BYTES}`,
      );
    }
    const s = this.state;
    const initiatorEphemeral = initiatorMessage.slice();
    s.mixHash(initiatorEphemeral);
    s.encryptAndHash(EMPTY);
    const eph = this.options.ephemeral ?? createNoiseKeypair();
    const out = new Uint8Array(RESPONDER_MESSAGE_BYTES);
    out.set(eph.ellswift, 0);
    s.mixHash(eph.ellswift);
    s.mixKey(bip324EcdhSecret(eph.secret, initiatorEphemeral, eph.ellswift, false));
    out.set(s.encryptAndHash(this.options.staticKey.ellswift), 64);
    s.mixKey(
      bip324EcdhSecret(this.options.staticKey.secret, initiatorEphemeral, this.options.staticKey.ellswift, false),
    );
    const cert = encodeCertificate(this.options.certificate());
    if (cert.length !== CERTIFICATE_BYTES) throw new Error('certificate encoding');
    out.set(s.encryptAndHash(cert), 64 + ENCRYPTED_KEY_BYTES);
    const [k1, k2] = s.split();
    return { message: out, send: new CipherState(k2), receive: new CipherState(k1), handshakeHash: s.h };
  }
}
