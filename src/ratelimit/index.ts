export { RateMeter } from "./rate-meter.ts";
export { TokenBucket } from "./token-bucket.ts";
