/**
 * Version rolling on SV2 channels. The pool side accepts any change inside BIP323's general-purpose bits
 * 0x1fffffe0 (current SRI); devices roll BIP320's 0x1fffe000 by default, a subset every pool accepts.
 */
import { SubmitSharesErrorCode } from '../messages/error-codes.js';

/** BIP320: 16 bits, what ASIC firmware and SV1 pools use. */
export const BIP320_VERSION_MASK = 0x1fffe000;
/** BIP323: 24 general-purpose bits, what current SRI servers check on standard channels. */
export const BIP323_VERSION_MASK = 0x1fffffe0;

/**
 * Checks a submitted version against the job's. Returns the SV2 error code, or null when the version is fine.
 * When rolling is not allowed the version must equal the job's exactly.
 */
export function versionError(
  shareVersion: number,
  jobVersion: number,
  rollingAllowed: boolean,
  rollableMask: number = BIP323_VERSION_MASK,
): SubmitSharesErrorCode | null {
  const share = shareVersion >>> 0;
  const job = jobVersion >>> 0;
  if (share === job) return null;
  if (!rollingAllowed) return SubmitSharesErrorCode.versionRollingNotAllowed;
  if (((share ^ job) & ~rollableMask) !== 0) return SubmitSharesErrorCode.invalidNonRollableVersionBit;
  return null;
}
