export {
  DEFAULT_STREAM_WINDOW_BYTES,
  type DeadlineOptions,
  PieceDeadlines,
} from "./deadlines.ts";
export {
  type BlockRequest,
  type PickerOptions,
  type PickerPeer,
  PiecePicker,
} from "./piece-picker.ts";
