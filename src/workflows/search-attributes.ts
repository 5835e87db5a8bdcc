// Typed keys of the custom search attributes, so the Web UI can list e.g. promotions awaiting approval:
// PromotionState = "awaiting-approval".
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes, registered on the dev server by `npm start` and the test setup. */
export const SEARCH_ATTRIBUTES = {
  app: 'PromotionApp',
  image: 'PromotionImage',
  state: 'PromotionState',
} as const;


export const PROMOTION_APP_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.app, SearchAttributeType.KEYWORD);
export const PROMOTION_IMAGE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.image, SearchAttributeType.KEYWORD);
export const PROMOTION_STATE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.state, SearchAttributeType.KEYWORD);
