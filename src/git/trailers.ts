// The trailer keys promenade writes into GitOps commits: they make every promotion commit findable, so a retried
// activity never commits twice, and they record who asked and who approved.
export const TRAILER_PROMOTION = 'Promenade-Promotion';
export const TRAILER_STAGE = 'Promenade-Stage';
export const TRAILER_IMAGE = 'Promenade-Image';
export const TRAILER_REQUESTED_BY = 'Requested-by';
export const TRAILER_APPROVED_BY = 'Approved-by';
export const TRAILER_REVERTS = 'Promenade-Reverts';
/** Prefix of the trailers that carry a promotion's metadata, e.g. `Promenade-Meta-ci-run`. */
export const TRAILER_METADATA_PREFIX = 'Promenade-Meta-';

/** Set when the caller deployed an image older than one already promoted (`--allow-older`). */
export const TRAILER_ALLOW_OLDER = 'Promenade-Allow-Older';
