// Typed keys of the custom search attributes, so the Web UI can list e.g. promotions awaiting approval:
// PromotionState = "awaiting-approval".
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../promotion.js';

export const PROMOTION_APP_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.app, SearchAttributeType.KEYWORD);
export const PROMOTION_IMAGE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.image, SearchAttributeType.KEYWORD);
export const PROMOTION_STATE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.state, SearchAttributeType.KEYWORD);
