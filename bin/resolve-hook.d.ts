/** Types of resolve-hook.js (plain JavaScript, like bin/shoal.js). */
export function resolveOwnModulesDirectly(): void;
