// The socket.io conversation with Rasa's socket.io channel (session persistence):
// session_request -> session_confirm -> chat_history, then user_uttered /
// bot_uttered. socket.io-client reconnects by itself; each (re)connection asks
// for the stored session again, with the token the server issued with it (the
// server resumes a conversation only with its token), so the conversation carries on.
import { io } from "socket.io-client";
import { sessionIdOf, sessionTokenOf } from "./messages.js";

const SESSION_KEY = "clinic-assistant-session";
const TOKEN_KEY = "clinic-assistant-session-token";

/**
 * handlers: onReady({reconnected}), onHistory(payload), onBotMessage(payload),
 * onOffline(). Returns {send(text) -> bool}.
 */
export function openConnection(socketUrl, storage, handlers) {
  // Polling first, then upgrade to websocket: works behind proxies that block
  // websockets, and through Rasa's server when its websocket transport isn't there.
  const socket = io(socketUrl, { path: "/socket.io/", transports: ["polling", "websocket"] });
  let sessionId = storage.get(SESSION_KEY);
  let token = storage.get(TOKEN_KEY);
  let confirmed = false;
  let wasReady = false;

  socket.on("connect", () => {
    socket.emit("session_request", { session_id: sessionId || null, token: token || null });
  });

  socket.on("session_confirm", (payload) => {
    const id = sessionIdOf(payload);
    if (!id) return;
    sessionId = id;
    token = sessionTokenOf(payload);
    storage.set(SESSION_KEY, id);
    storage.set(TOKEN_KEY, token || "");
    confirmed = true;
    handlers.onReady({ reconnected: wasReady });
    wasReady = true;
  });

  socket.on("chat_history", (payload) => handlers.onHistory(payload));
  socket.on("bot_uttered", (payload) => handlers.onBotMessage(payload && typeof payload === "object" ? payload : {}));

  socket.on("disconnect", (reason) => {
    confirmed = false;
    handlers.onOffline();
    // A disconnect the server chose is not retried by socket.io-client.
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", () => {
    confirmed = false;
    handlers.onOffline();
  });

  return {
    send(message) {
      if (!confirmed || !socket.connected) return false;
      socket.emit("user_uttered", { message, session_id: sessionId });
      return true;
    },
  };
}
