export { type ChokeDecision, Choker, type ChokerOptions, type ChokerPeer } from "./choker.ts";
