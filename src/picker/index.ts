export {
  type BlockRequest,
  type PickerOptions,
  type PickerPeer,
  PiecePicker,
} from "./piece-picker.ts";
