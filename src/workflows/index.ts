export { promotion } from './promotion.js';
export { appLane } from './app-lane.js';
export { tokenUse } from './token-use.js';
