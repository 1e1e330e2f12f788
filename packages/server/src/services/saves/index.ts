export { SAVE_FIELD_LIMITS, saveBodyLimit, saveRoutes } from './http-routes.js';
export { POSTGRES_SAVES_MIGRATIONS, SAVES_AREA, SQLITE_SAVES_MIGRATIONS } from './migrations.js';
export { openSavesStore } from './open-saves-store.js';
export { PostgresSavesStore } from './postgres-saves.js';
export {
  DEFAULT_SAVES_LIMITS,
  SAVE_SLOT_NAME,
  SAVE_TEXT_LIMITS,
  type SavesLimits,
  SavesService,
  type SaveWrite,
} from './saves-service.js';
export type { SaveContent, SaveRecord, SavesStore, WriteRule } from './saves-store.js';
export { SqliteSavesStore } from './sqlite-saves.js';
