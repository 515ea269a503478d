export { Bitfield, BitfieldError } from "./bitfield.ts";
