/** SetupConnection flag bits (spec §3.1). The meaning of a bit depends on the protocol and the direction. */

/** Mining, client → server: the client only takes NewMiningJob (standard channels). End devices set it. */
export const REQUIRES_STANDARD_JOBS = 0x1;
/** Mining, client → server: the client will send SetCustomMiningJob (a job-declaration client). */
export const REQUIRES_WORK_SELECTION = 0x2;
/** Mining, client → server: the server must only send jobs that allow version rolling. */
export const REQUIRES_VERSION_ROLLING = 0x4;

/** Mining, server → client (SetupConnection.Success): no version rolling at all on this connection. */
export const REQUIRES_FIXED_VERSION = 0x1;
/** Mining, server → client (SetupConnection.Success): standard channels are refused. */
export const REQUIRES_EXTENDED_CHANNELS = 0x2;
