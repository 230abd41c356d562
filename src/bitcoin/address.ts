/**
 * Payout addresses: the strings owners paste (base58check P2PKH/P2SH, bech32 segwit v0, bech32m v1+) turned into
 * the output script a coinbase pays, and back. An address says only which family of chains it belongs to
 * (mainnet; the test networks; regtest), so solo mining checks it against the chain the node reports before a
 * single hash is spent on a block that would pay nobody the owner can reach.
 */
import { Base58Error, base58CheckDecode, base58CheckEncode } from '../sv2/noise/base58check.js';
import { Bech32Error, bech32Decode, bech32Encode, convertBits } from './bech32.js';

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/** Bitcoin Core's chain names (`getblockchaininfo.chain`, `-chain=`). */
export type Chain = 'main' | 'test' | 'testnet4' | 'signet' | 'regtest';
export const CHAINS: readonly Chain[] = ['main', 'test', 'testnet4', 'signet', 'regtest'];

export type AddressType = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'witness-unknown';

export interface PayoutAddress {
  /** As the owner wrote it (trimmed). */
  text: string;
  type: AddressType;
  /** The output script it stands for. */
  script: Uint8Array;
  /** The chains on which this address means this script. */
  chains: readonly Chain[];
}

const TEST_CHAINS: readonly Chain[] = ['test', 'testnet4', 'signet'];

/** Bech32 human-readable part per chain family (BIP173). */
const HRP: Record<string, readonly Chain[]> = { bc: ['main'], tb: TEST_CHAINS, bcrt: ['regtest'] };

/** Base58check version bytes (Core's chainparams): regtest shares the test networks' versions. */
const BASE58: Record<number, { type: 'p2pkh' | 'p2sh'; chains: readonly Chain[] }> = {
  0: { type: 'p2pkh', chains: ['main'] },
  5: { type: 'p2sh', chains: ['main'] },
  111: { type: 'p2pkh', chains: [...TEST_CHAINS, 'regtest'] },
  196: { type: 'p2sh', chains: [...TEST_CHAINS, 'regtest'] },
};

/** Parses an address of any supported kind; the error says what is wrong with it in the owner's terms. */
export function parseAddress(input: string): PayoutAddress {
  const text = input.trim();
  if (text === '') throw new AddressError('is empty');
  const sep = text.lastIndexOf('1');
  const hrp = sep > 0 ? text.slice(0, sep).toLowerCase() : '';
  if (hrp in HRP) return parseSegwit(text, HRP[hrp]);
  return parseBase58(text);
}

function parseSegwit(text: string, chains: readonly Chain[]): PayoutAddress {
  let decoded: ReturnType<typeof bech32Decode>;
  try {
    decoded = bech32Decode(text);
  } catch (err) {
    if (err instanceof Bech32Error)
      throw new AddressError(`${JSON.stringify(text)} is not a valid address: ${err.message}`);
    throw err;
  }
  if (decoded.data.length === 0) throw new AddressError(`${JSON.stringify(text)} has no witness version or program`);
  const version = decoded.data[0];
  if (version > 16) throw new AddressError(`${JSON.stringify(text)} has witness version ${version} (0 to 16 exist)`);
  const wanted = version === 0 ? 'bech32' : 'bech32m';
  if (decoded.variant !== wanted) {
    throw new AddressError(
      `${JSON.stringify(text)} has a ${decoded.variant} checksum, but a witness version ${version} address uses ${wanted} (BIP350): a typo or a wallet bug`,
    );
  }
  let program: number[];
  try {
    program = convertBits(decoded.data.slice(1), 5, 8, false);
  } catch (err) {
    if (err instanceof Bech32Error)
      throw new AddressError(`${JSON.stringify(text)} is not a valid address: ${err.message}`);
    throw err;
  }
  if (program.length < 2 || program.length > 40) {
    throw new AddressError(`${JSON.stringify(text)} has a ${program.length}-byte witness program (2 to 40 allowed)`);
  }
  if (version === 0 && program.length !== 20 && program.length !== 32) {
    throw new AddressError(
      `${JSON.stringify(text)} has a ${program.length}-byte version 0 program (20 for P2WPKH or 32 for P2WSH)`,
    );
  }
  const script = Uint8Array.of(version === 0 ? 0 : 0x50 + version, program.length, ...program);
  const type: AddressType =
    version === 0
      ? program.length === 20
        ? 'p2wpkh'
        : 'p2wsh'
      : version === 1 && program.length === 32
        ? 'p2tr'
        : 'witness-unknown';
  return { text, type, script, chains };
}

function parseBase58(text: string): PayoutAddress {
  let payload: Uint8Array;
  try {
    payload = base58CheckDecode(text);
  } catch (err) {
    if (err instanceof Base58Error) {
      throw new AddressError(
        `${JSON.stringify(text)} is not a valid address: ${err.message} (expected bc1…/tb1…/bcrt1… or a base58 1…/3…/m…/n…/2… address)`,
      );
    }
    throw err;
  }
  const kind = BASE58[payload[0]];
  if (payload.length !== 21 || kind === undefined) {
    throw new AddressError(
      `${JSON.stringify(text)} is base58check but not a P2PKH or P2SH address (version 0x${payload[0].toString(16).padStart(2, '0')}, ${payload.length - 1}-byte payload): a private key or an altcoin address?`,
    );
  }
  const hash = payload.subarray(1);
  const script =
    kind.type === 'p2pkh'
      ? Uint8Array.of(0x76, 0xa9, 0x14, ...hash, 0x88, 0xac)
      : Uint8Array.of(0xa9, 0x14, ...hash, 0x87);
  return { text, type: kind.type, script, chains: kind.chains };
}

/** Human names for error messages. */
export function describeChain(chain: Chain): string {
  switch (chain) {
    case 'main':
      return 'mainnet';
    case 'test':
      return 'testnet3';
    default:
      return chain;
  }
}

/**
 * Throws AddressError when `address` does not belong to `chain`, saying which network each is on (a `tb1…`
 * address is valid on testnet3, testnet4 and signet alike, so the chain is what decides).
 */
export function checkAddressChain(address: PayoutAddress, chain: Chain): void {
  if (address.chains.includes(chain)) return;
  const on = address.chains.map(describeChain).join('/');
  throw new AddressError(
    `${address.text} is a ${on} address, but the node runs ${describeChain(chain)}: coins paid to it there would be out of reach`,
  );
}

/** The address a standard output script has on `chain`, or null for scripts that have none (OP_RETURN, bare multisig). */
export function addressOfScript(script: Uint8Array, chain: Chain): string | null {
  const test = chain !== 'main';
  if (
    script.length === 25 &&
    script[0] === 0x76 &&
    script[1] === 0xa9 &&
    script[2] === 0x14 &&
    script[23] === 0x88 &&
    script[24] === 0xac
  ) {
    return base58CheckEncode(Uint8Array.of(test ? 0x6f : 0x00, ...script.subarray(3, 23)));
  }
  if (script.length === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) {
    return base58CheckEncode(Uint8Array.of(test ? 0xc4 : 0x05, ...script.subarray(2, 22)));
  }
  const version = script[0] === 0 ? 0 : script[0] >= 0x51 && script[0] <= 0x60 ? script[0] - 0x50 : -1;
  const n = script[1];
  if (version < 0 || script.length !== n + 2 || n < 2 || n > 40) return null;
  if (version === 0 && n !== 20 && n !== 32) return null;
  const hrp = chain === 'main' ? 'bc' : chain === 'regtest' ? 'bcrt' : 'tb';
  return bech32Encode(
    hrp,
    [version, ...convertBits(script.subarray(2), 8, 5, true)],
    version === 0 ? 'bech32' : 'bech32m',
  );
}

/** Parses a chain name as Core and the config write it ("testnet" and "mainnet" accepted too). */
export function parseChain(text: string): Chain | null {
  const t = text.trim().toLowerCase();
  if (t === 'mainnet' || t === 'bitcoin') return 'main';
  if (t === 'testnet' || t === 'testnet3') return 'test';
  return (CHAINS as readonly string[]).includes(t) ? (t as Chain) : null;
}
