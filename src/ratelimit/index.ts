export { fairShares, GROWTH, MIN_SHARE, type ShareDemand } from "./fair-share.ts";
export { RateMeter } from "./rate-meter.ts";
export { TokenBucket } from "./token-bucket.ts";
