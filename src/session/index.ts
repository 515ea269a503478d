export {
  type AddOptions,
  Client,
  ClientError,
  type ClientEvents,
  type ClientOptions,
} from "./client.ts";
