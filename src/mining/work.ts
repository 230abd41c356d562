/**
 * The contract between the mining engine (src/mining) and a chip driver (drivers/asic): what a chip is
 * asked to hash, and what it reports back. The engine never sees chip bytes; the driver never sees pools.
 */

/**
 * One unit of chip work: everything needed to rebuild the exact 80-byte header the chip hashes.
 * Hashes are 32 bytes in internal byte order (as serialized in the header); integers are header values.
 */
export interface Work {
  /** Base block version; the chip may set bits under `versionMask` (the rolled version comes back with a result). */
  readonly version: number;
  /** Bits the chip may roll (BIP320 0x1fffe000 when the pool allows rolling); 0 = no version rolling. */
  readonly versionMask: number;
  readonly prevHash: Uint8Array;
  readonly merkleRoot: Uint8Array;
  readonly ntime: number;
  readonly nbits: number;
  /**
   * The extranonce the merkle root was built with, for jobs whose coinbase the device completes (V1, SV2
   * extended channels, solo); absent for a given merkle root. Drivers ignore it; shares carry it upstream.
   */
  readonly extranonce?: Uint8Array;
}

/** A nonce a chip reported, resolved by the driver to the chip job id and the full (rolled) header version. */
export interface ChipResult {
  /** The id `sendWork` returned for the job this nonce belongs to. */
  readonly jobId: number;
  /** The header's nonce field value (header bytes 76..79 read little-endian). */
  readonly nonce: number;
  /** The full header version the chip hashed (base version with rolled bits). */
  readonly version: number;
  /** Position of the reporting chip in the chain (0 = first), from its address. */
  readonly chipIndex: number;
  /** Core that found it, where the chip reports one (diagnostics only). */
  readonly coreId: number;
}
