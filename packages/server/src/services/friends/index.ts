export { FRIEND_LIMITS, FriendsService } from './friends-service.js';
export type {
  AcceptOutcome,
  FriendLimits,
  FriendLink,
  FriendsStore,
  LimitReached,
  RequestOutcome,
} from './friends-store.js';
export { FRIEND_FIELD_LIMITS, friendRoutes } from './http-routes.js';
export { FRIENDS_AREA, POSTGRES_FRIENDS_MIGRATIONS, SQLITE_FRIENDS_MIGRATIONS } from './migrations.js';
export { openFriendsStore } from './open-friends-store.js';
export { PostgresFriendsStore } from './postgres-friends.js';
export { SqliteFriendsStore } from './sqlite-friends.js';
