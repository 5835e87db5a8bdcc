export { promotion } from './promotion.js';
export { appLane } from './app-lane.js';
