export { predictProbabilities, topClasses, type ClassScore } from './classify.js';
