// Web storage throws in some browsers (blocked cookies, some private modes).
// The widget then forgets between pages instead of failing to start.
function wrap(getStore) {
  return {
    get(key) {
      try {
        return getStore().getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        getStore().setItem(key, value);
      } catch {
        // Not kept: see above.
      }
    },
  };
}

export const local = wrap(() => window.localStorage);
export const session = wrap(() => window.sessionStorage);
